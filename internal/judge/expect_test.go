package judge

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// verdict is what an expectation must say of a reply: "" holds, "?" cannot
// tell, anything else a violation whose message holds it.
func expectVerdict(t *testing.T, err error, want string) {
	t.Helper()
	g := NewWithT(t)
	switch want {
	case "":
		g.Expect(err).To(Succeed())
	case "?":
		g.Expect(errors.Is(err, ErrCannotTell)).To(BeTrue(), "want cannot tell, got %v", err)
	default:
		g.Expect(err).To(HaveOccurred())
		g.Expect(errors.Is(err, ErrCannotTell)).To(BeFalse(), "want a violation, got %v", err)
		g.Expect(err.Error()).To(ContainSubstring(want))
	}
}

func withRequest(ex *target.Exchange, body string) *target.Exchange {
	ex.RequestBody = []byte(body)
	return ex
}

const (
	modelsList = `{"object":"list","data":[{"id":"m","object":"model","created":1,"owned_by":"c"}]}`
	chunk      = `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"}}]}`
	refusal401 = `{"error":{"message":"bad key","type":"invalid_request_error"}}`
)

// The parts of a served reply: each CHAT clause judges its own part of a
// 2xx and cannot tell on a refusal (the clause that sent the call judges it).
func TestCompletionParts(t *testing.T) {
	ok := exchange(200, "application/json", goodChat)
	cases := []struct {
		name                             string
		ex                               *target.Exchange
		envelope, choices, usage, fields string
	}{
		{"a completion", ok, "", "", "", ""},
		{"12.0 counts", exchange(200, "application/json", strings.Replace(goodChat, `"total_tokens":6`, `"total_tokens":6.0`, 1)), "", "", "", ""},
		{"a refusal", exchange(400, "application/json", refusal401), "?", "?", "?", "?"},
		{"a streaming chunk", exchange(200, "application/json", chunk), "", "choices[0].message", "usage is missing", "?"},
		{"event stream", exchange(200, "text/event-stream", "data: "+chunk), "text/event-stream", "?", "?", "?"},
		{"a health document", exchange(200, "application/json", `{"status":"ok"}`), "", "choices is missing", "usage is missing", "?"},
		{"201", exchange(201, "application/json", goodChat), "status 201, want 200", "", "", "?"},
		{"wrong total", exchange(200, "application/json", strings.Replace(goodChat, `"total_tokens":6`, `"total_tokens":7`, 1)), "", "", "total_tokens 7", "?"},
		{"no id", exchange(200, "application/json", strings.Replace(goodChat, `"id":"chatcmpl-1",`, "", 1)), "", "", "", "id is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Run("CHAT-1", func(t *testing.T) { expectVerdict(t, CompletionEnvelope(c.ex), c.envelope) })
			t.Run("CHAT-2", func(t *testing.T) { expectVerdict(t, CompletionChoices(c.ex), c.choices) })
			t.Run("CHAT-3", func(t *testing.T) { _, err := CompletionUsage(c.ex); expectVerdict(t, err, c.usage) })
			t.Run("CHAT-4", func(t *testing.T) { expectVerdict(t, CompletionFields(c.ex), c.fields) })
		})
	}
}

func TestServedNotStreamed(t *testing.T) {
	expectVerdict(t, ServedNotStreamed(exchange(200, "application/json", goodChat)), "")
	expectVerdict(t, ServedNotStreamed(exchange(200, "text/event-stream", "data: "+chunk)), "text/event-stream")
	expectVerdict(t, ServedNotStreamed(exchange(200, "application/json", chunk)), "choices[0].message")
}

func TestModelBinding(t *testing.T) {
	list := exchange(200, "application/json", modelsList)
	named := func(model string) string { return strings.Replace(goodChat, `"model":"m"`, `"model":"`+model+`"`, 1) }
	expectVerdict(t, ModelBinding(list, withRequest(exchange(200, "application/json", goodChat), `{"model":"gpt-4o"}`)), "")
	expectVerdict(t, ModelBinding(list, withRequest(exchange(200, "application/json", named("gpt-4o")), `{"model":"gpt-4o"}`)),
		`the request named "gpt-4o" and the response says model "gpt-4o"; models lists "m"`)
	expectVerdict(t, ModelBinding(list, withRequest(exchange(200, "application/json", named("default")), `{"messages":[]}`)), "the request named no model")
	expectVerdict(t, ModelBinding(exchange(404, "", ""), exchange(200, "application/json", goodChat)), "?")
	expectVerdict(t, ModelBinding(list, exchange(400, "application/json", refusal401)), "?")
}

func TestMaxTokensHonoured(t *testing.T) {
	capped := func(ex *target.Exchange) *target.Exchange { return withRequest(ex, `{"max_tokens":3}`) }
	expectVerdict(t, MaxTokensHonoured(capped(exchange(200, "application/json", goodChat))), "")
	over := strings.NewReplacer(`"completion_tokens":1`, `"completion_tokens":9`, `"total_tokens":6`, `"total_tokens":14`).Replace(goodChat)
	expectVerdict(t, MaxTokensHonoured(capped(exchange(200, "application/json", over))), "max_tokens 3, but usage.completion_tokens is 9")
	expectVerdict(t, MaxTokensHonoured(capped(exchange(400, "application/json", refusal401))), "?")
	expectVerdict(t, MaxTokensHonoured(exchange(200, "application/json", goodChat)), "?")
}

func TestJSONContent(t *testing.T) {
	g := NewWithT(t)
	note, err := JSONContent(exchange(200, "application/json", strings.Replace(goodChat, `"content":"ok"`, `"content":"{\"ok\":true}"`, 1)))
	g.Expect(err).To(Succeed())
	g.Expect(note).To(Equal("json_object content is JSON"))
	note, _ = JSONContent(exchange(200, "application/json", goodChat))
	g.Expect(note).To(ContainSubstring("not JSON"))
	_, err = JSONContent(exchange(500, "", ""))
	expectVerdict(t, err, "?")
}

func TestModelsExpectations(t *testing.T) {
	list := exchange(200, "application/json", modelsList)
	list.URL = "http://h/ai/v1/models"
	other := exchange(200, "application/json", strings.Replace(modelsList, `"id":"m"`, `"id":"n"`, 1))
	other.URL = "http://h/ai/models"
	expectVerdict(t, ModelsAnswer(list), "")
	expectVerdict(t, ModelsAnswer(exchange(404, "", "")), "status 404")
	expectVerdict(t, SameModelList(list, list), "")
	expectVerdict(t, SameModelList(list, other), `GET /ai/models lists ["n"], GET /ai/v1/models lists ["m"]`)
	expectVerdict(t, SameModelList(list, exchange(401, "application/json", refusal401)), "status 401, want 200")
	expectVerdict(t, SameModelList(exchange(404, "", ""), other), "")
	_, err := ModelsEntry(exchange(401, "application/json", refusal401))
	expectVerdict(t, err, "?")
	_, err = ModelsEntry(exchange(200, "application/json", `{"object":"list","data":[]}`))
	expectVerdict(t, err, "data is an array")
	entry, err := ModelsEntry(list)
	NewWithT(t).Expect(err).To(Succeed())
	NewWithT(t).Expect(entry["id"]).To(Equal("m"))
}

func TestRefusalExpectations(t *testing.T) {
	expectVerdict(t, Refused(exchange(401, "application/json", refusal401), http.StatusUnauthorized), "")
	expectVerdict(t, Refused(exchange(200, "application/json", goodChat), http.StatusUnauthorized), "served (status 200), want 401")
	expectVerdict(t, Refused(exchange(200, "application/json", `{"status":"ok"}`), http.StatusUnauthorized), "not even a completion")
	expectVerdict(t, Refused(exchange(403, "application/json", refusal401), http.StatusUnauthorized), "status 403, want 401")

	expectVerdict(t, ErrorEnvelope(exchange(402, "application/json", refusal401)), "")
	expectVerdict(t, ErrorEnvelope(exchange(429, "text/plain", "slow down")), "status 429: body is not JSON")
	expectVerdict(t, ErrorEnvelope(exchange(200, "application/json", goodChat)), "?")
	expectVerdict(t, ErrorEnvelope(exchange(500, "text/plain", "boom")), "?")

	expectVerdict(t, Malformed(exchange(400, "application/json", refusal401)), "")
	expectVerdict(t, Malformed(exchange(422, "application/json", refusal401)), "")
	expectVerdict(t, Malformed(exchange(500, "text/plain", "boom")), "got 500 Internal Server Error, want a 4xx")
	expectVerdict(t, Malformed(exchange(200, "application/json", goodChat)), "got 200 OK, want a 4xx")
}

// Reply is the load run's judgement: the same expectations, by clause.
func TestReply(t *testing.T) {
	g := NewWithT(t)
	h := func(ct string) http.Header { return http.Header{"Content-Type": {ct}} }
	g.Expect(Reply([]byte(`{"max_tokens":8}`), 200, h("application/json"), []byte(goodChat))).To(BeEmpty())
	g.Expect(Reply(nil, 200, h("application/json"), []byte(chunk))).To(ConsistOf(
		HaveField("Clause", "CHAT-2"), HaveField("Clause", "CHAT-3")))
	over := strings.NewReplacer(`"completion_tokens":1`, `"completion_tokens":9`, `"total_tokens":6`, `"total_tokens":14`).Replace(goodChat)
	g.Expect(Reply([]byte(`{"max_tokens":3}`), 200, h("application/json"), []byte(over))).To(ConsistOf(HaveField("Clause", "CHAT-6")))
	g.Expect(Reply(nil, 200, h("text/html"), []byte("<html>"))).To(ConsistOf(HaveField("Clause", "CHAT-1")))
	g.Expect(Reply(nil, 204, h("application/json"), nil)).To(ContainElement(HaveField("Clause", "CHAT-1")))
}

// A refusal on a path the run's own key does not reach either is the
// route's failure; a 404 only for the refused caller hides the route.
func TestOnRoute(t *testing.T) {
	missing := exchange(404, "application/json", refusal401)
	routed := exchange(400, "application/json", refusal401)
	expectVerdict(t, RefusedOnRoute(missing, missing, http.StatusUnauthorized), "?")
	expectVerdict(t, RefusedOnRoute(missing, routed, http.StatusUnauthorized), "status 404, want 401")
	expectVerdict(t, RefusedOnRoute(exchange(401, "application/json", refusal401), routed, http.StatusUnauthorized), "")
	// A request the target refuses whatever the key (stream: true rejected
	// before the key is read) is its own clause's failure, not the key's;
	// a refusal the run's key does not get is the key's.
	rejected := exchange(400, "application/json", refusal401)
	expectVerdict(t, RefusedOnRoute(rejected, rejected, http.StatusPaymentRequired), "?")
	expectVerdict(t, RefusedOnRoute(rejected, exchange(200, "application/json", goodChat), http.StatusPaymentRequired), "status 400, want 402")
	expectVerdict(t, RefusedOnRoute(exchange(200, "application/json", goodChat), exchange(200, "application/json", goodChat), http.StatusPaymentRequired), "served (status 200), want 402")
	expectVerdict(t, ServedOnRoute(missing, missing), "?")
	expectVerdict(t, ServedOnRoute(exchange(402, "application/json", refusal401), routed), "status 402, want 200")
}

func TestModelsErrors(t *testing.T) {
	_, err := ModelsList(exchange(404, "application/json", refusal401))
	expectVerdict(t, err, "?")
	_, err = ModelsList(exchange(200, "application/json", `{"object":"list","data":[]}`))
	expectVerdict(t, err, "data holds 0 entries")
	expectVerdict(t, NotAnErrorAs200Models(exchange(401, "application/json", refusal401)), "")
	expectVerdict(t, NotAnErrorAs200Models(exchange(200, "application/json", modelsList)), "")
	expectVerdict(t, NotAnErrorAs200Models(exchange(200, "application/json", refusal401)), "status 200 but the body is an error")
	expectVerdict(t, NotAnErrorAs200Models(exchange(200, "application/json", `{"status":"ok"}`)), "no models list")
	listed := exchange(200, "application/json", modelsList)
	listed.Method = http.MethodGet
	expectVerdict(t, Refused(listed, http.StatusUnauthorized), "served the models list (status 200), want 401")
	// An empty error beside the list is a shared envelope's, not an error.
	for _, empty := range []string{"null", "false", `""`, "{}"} {
		expectVerdict(t, NotAnErrorAs200Models(exchange(200, "application/json", `{"object":"list","data":[{"id":"m","object":"model"}],"error":`+empty+`}`)), "")
	}
	expectVerdict(t, NotAnErrorAs200Models(exchange(200, "application/json", `{"object":"list","data":[],"error":"no models"}`)), "status 200 but the body is an error")
}

// A refusing key sent as "bearer KEY" may get 401 for the scheme only when
// the run's own key gets 401 in that spelling too.
func TestRefusedInScheme(t *testing.T) {
	unauthorized := exchange(401, "application/json", refusal401)
	served := exchange(200, "application/json", goodChat)
	outOfTokens := exchange(402, "application/json", refusal401)
	note, err := RefusedInScheme(unauthorized, unauthorized, http.StatusPaymentRequired)
	expectVerdict(t, err, "")
	if note == "" {
		t.Error("an excused 401 without its note")
	}
	_, err = RefusedInScheme(unauthorized, nil, http.StatusPaymentRequired)
	expectVerdict(t, err, "") // the run's key was not sent so: cannot blame the key
	_, err = RefusedInScheme(unauthorized, served, http.StatusPaymentRequired)
	expectVerdict(t, err, "status 401, want 402")
	_, err = RefusedInScheme(outOfTokens, served, http.StatusPaymentRequired)
	expectVerdict(t, err, "")
	_, err = RefusedInScheme(served, served, http.StatusForbidden)
	expectVerdict(t, err, "served (status 200), want 403")
	_, err = RefusedInScheme(exchange(404, "application/json", refusal401), exchange(404, "application/json", refusal401), http.StatusForbidden)
	expectVerdict(t, err, "?")
	_, err = RefusedInScheme(unauthorized, served, http.StatusUnauthorized)
	expectVerdict(t, err, "") // a revoked key's 401 is its own
}
