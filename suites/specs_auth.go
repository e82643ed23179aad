package suites

import (
	"encoding/base64"
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// endpoint is chat or models, for specs that try both.
type endpoint string

const (
	onChat   endpoint = "chat"
	onModels endpoint = "models"
)

// refusedCall makes a call that should be refused, with the given
// Authorization (nil: the run's key replaced by key).
func refusedCall(ctx SpecContext, on endpoint, auth *string, key string) *target.Exchange {
	GinkgoHelper()
	req := target.Request{Auth: auth, Key: key}
	if on == onChat {
		req.Method, req.Path, req.Body = "POST", chatPath(ctx), ordinaryChat(ctx)
	} else {
		req.Path = modelsPath(ctx)
	}
	return send(ctx, req)
}

// AUTH: keys.
func authSpecs() {
	table("no Authorization header gets 401", Clause("AUTH-1", CostNone, 1),
		func(ctx SpecContext, on endpoint) {
			ex := refusedCall(ctx, on, authHeader(""), "")
			holds(judge.CheckStatus(ex, http.StatusUnauthorized), ex)
		},
		Entry("on chat", onChat), Entry("on models", onModels))

	table("an unknown cai_ key gets 401", Clause("AUTH-2", CostNone, 1),
		func(ctx SpecContext, on endpoint) {
			ex := refusedCall(ctx, on, nil, rt.unknown)
			holds(judge.CheckStatus(ex, http.StatusUnauthorized), ex)
		},
		Entry("on chat", onChat), Entry("on models", onModels))

	It("a revoked key gets 401", Clause("AUTH-3", CostNone, 1), func(ctx SpecContext) {
		key := needKey(rt.cfg.Keys.Revoked, "--revoked-key")
		ex := refusedCall(ctx, onChat, nil, key)
		holds(judge.CheckStatus(ex, http.StatusUnauthorized), ex)
	})

	table("a credential that is not a cai_ bearer key gets 401", Clause("AUTH-4", CostNone, 1),
		func(ctx SpecContext, auth string) {
			ex := refusedCall(ctx, onChat, authHeader(auth), "")
			holds(judge.CheckStatus(ex, http.StatusUnauthorized), ex)
		},
		Entry("Bearer sk-...", "Bearer sk-proj-0123456789abcdefghijklmnopqrstuv"),
		Entry("Basic ...", "Basic "+base64.StdEncoding.EncodeToString([]byte("user:password"))),
		Entry("an empty Bearer", "Bearer "),
	)

	It("matches the Bearer scheme case-insensitively", Clause("AUTH-5", CostNone, 1), func(ctx SpecContext) {
		ex := send(ctx, target.Request{Path: modelsPath(ctx), Auth: authHeader("bearer " + rt.cfg.Keys.API)})
		holds(judge.CheckStatus(ex, http.StatusOK), ex)
	})
}

// BILL, ACCESS: budget, allowlist, lock.
func accessSpecs() {
	It("an out-of-tokens key gets 402 on chat", Clause("BILL-1", CostNone, 1), func(ctx SpecContext) {
		key := needKey(rt.cfg.Keys.Exhausted, "--exhausted-key")
		ex := refusedCall(ctx, onChat, nil, key)
		holds(judge.CheckStatus(ex, http.StatusPaymentRequired), ex)
	})

	It("a key whose allowlist excludes this machine gets 403", Clause("ACCESS-1", CostNone, 1), func(ctx SpecContext) {
		key := needKey(rt.cfg.Keys.Forbidden, "--forbidden-key")
		ex := refusedCall(ctx, onChat, nil, key)
		holds(judge.CheckStatus(ex, http.StatusForbidden), ex)
	})

	It("a key of a locked instance gets 403", Clause("ACCESS-2", CostNone, 1), func(ctx SpecContext) {
		key := needKey(rt.cfg.Keys.Locked, "--locked-key")
		ex := refusedCall(ctx, onChat, nil, key)
		holds(judge.CheckStatus(ex, http.StatusForbidden), ex)
	})
}

// ERR: errors.
func errorSpecs() {
	malformed := []TableEntry{
		Entry("invalid JSON", "invalid JSON", []byte(`{"model":"default","messages":[`)),
		Entry("no messages", "no messages", []byte(`{"model":"default"}`)),
	}

	table("an error never comes as 200", Clause("ERR-1", CostNone, 1),
		func(ctx SpecContext, what string, body []byte) {
			ex := send(ctx, target.Request{Method: "POST", Path: chatPath(ctx), Body: bodyOr(ctx, body), Key: keyFor(what)})
			holds(judge.CheckNotAnErrorAs200(ex), ex)
		},
		append([]TableEntry{Entry("an unknown key", "an unknown key", []byte(nil))}, malformed...)...)

	table("a 4xx body is an OpenAI error envelope with a message", Clause("ERR-2", CostNone, 1),
		func(ctx SpecContext, what string, body []byte) {
			req := target.Request{Method: "POST", Path: chatPath(ctx), Body: bodyOr(ctx, body), Key: keyFor(what)}
			if what == "no key, on models" {
				req = target.Request{Path: modelsPath(ctx), Auth: authHeader("")}
			}
			ex := send(ctx, req)
			if ex.Status < 400 || ex.Status > 499 {
				Skip("cannot tell: answered " + statusLine(ex.Status) + ", not a 4xx (see ERR-1, ERR-3)")
			}
			holds(judge.CheckErrorEnvelope(ex), ex)
		},
		append([]TableEntry{
			Entry("an unknown key", "an unknown key", []byte(nil)),
			Entry("no key, on models", "no key, on models", []byte(nil)),
		}, malformed...)...)

	table("a malformed request gets a 4xx, never a 5xx", Clause("ERR-3", CostNone, 1),
		func(ctx SpecContext, what string, body []byte) {
			ex := send(ctx, target.Request{Method: "POST", Path: chatPath(ctx), Body: body})
			if ex.Status < 400 || ex.Status > 499 {
				violated("a malformed request ("+what+") got "+statusLine(ex.Status)+", want a 4xx", ex)
			}
		},
		malformed...)
}

// keyFor picks the key of an error row: the unknown key, or the run's key.
func keyFor(what string) string {
	if strings.Contains(what, "unknown key") {
		return rt.unknown
	}
	return rt.cfg.Keys.API
}

// bodyOr is a row's body, or the ordinary chat payload for a row without one.
func bodyOr(ctx SpecContext, body []byte) []byte {
	if body == nil {
		return ordinaryChat(ctx)
	}
	return body
}

func statusLine(status int) string { return fmt.Sprintf("%d %s", status, http.StatusText(status)) }
