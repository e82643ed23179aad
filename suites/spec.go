package suites

import (
	"context"
	"errors"
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"net/http"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// runtime is what the specs read: the run's configuration and the one client
// (with its pacer and meter) every call goes through. Run sets it before the
// spec tree is built; specs never write it. The pacer and meter are the tool's
// own accounting, not state a spec could depend on.
type runtime struct {
	cfg     Config
	client  *target.Client
	pacer   *Pacer
	meter   *Meter
	status  *status
	red     target.Redactor
	unknown string // an unknown cai_ key (AUTH-2)

	// What the specs of other clauses need to know of the target, found once
	// before the specs (setup, not a test): the chat and models paths that
	// route and the model bound to the key. A spec of CHAT-2 then judges CHAT-2
	// even when {root}/v1/chat/completions is missing (ROUTE-1 says so) or
	// "default" is refused (MODEL-2 says so).
	discoverOnce sync.Once
	unreachable  error // the first discovery call got no HTTP answer
	chatPath     string
	modelsPath   string
	noChat       bool // every chat route tried answered 404
	noModels     bool // every models route tried answered 404
	keyRefused   *target.Exchange
	model        string
	capTokens    bool // ordinary calls carry max_tokens (the target accepts it)
}

var rt *runtime

func newRuntime(cfg Config) *runtime {
	meter := &Meter{max: int64(cfg.MaxCalls)}
	pacer := NewPacer(cfg.Limit)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = target.DefaultTimeout
	}
	st := newStatus(meter, 0)
	client := newPacedClient(cfg.Root, cfg.Conn, pacer, meter, timeout, st)
	unknown := unknownKey
	return &runtime{cfg: cfg, client: client, pacer: pacer, meter: meter, status: st, red: cfg.Redactor(), unknown: unknown}
}

// discoveryCalls is what discover spends, counted in the plan.
const discoveryCalls = 6

// discover finds the routes and the bound model. A route counts as there when
// an unauthenticated call to it is anything but 404: a refusal proves routing
// without spending a token. Each route has one fallback, the alias a target
// missing it would most likely still serve.
func (r *runtime) discover(ctx context.Context) {
	r.discoverOnce.Do(func() {
		var found bool
		r.chatPath, found, r.unreachable = r.probe(ctx, "POST", target.PathChat, target.PathAliasChatComp)
		if r.unreachable != nil {
			return // every spec would wait out its own timeout: end them all at once
		}
		r.noChat = !found
		r.modelsPath, found, _ = r.probe(ctx, "GET", target.PathModels, "/models")
		r.noModels = !found
		if ex, err := r.client.Do(ctx, target.Request{Path: r.modelsPath, Key: r.cfg.Keys.API}); err == nil {
			switch ex.Status {
			case http.StatusOK:
				if ids, err := judge.ModelIDs(ex.Body); err == nil && len(ids) > 0 {
					r.model = ids[0]
				}
			case http.StatusUnauthorized:
				r.keyRefused = ex
			}
		}
		if r.model == "" {
			r.model = r.cfg.Model
		}
		// Ordinary calls cap their answer with max_tokens: the user pays per
		// token. A target that refuses max_tokens (a CHAT-5 violation, which
		// CHAT-5 reports) is then called without it, so that one broken option
		// does not fail every chat clause.
		capped := target.ChatRequest{Model: r.boundModel(), Messages: []target.Message{{Role: "user", Content: prompt}}, MaxTokens: smallMaxTokens}
		if capped.Model == "" {
			capped.Model = "default"
		}
		ex, err := r.client.Do(ctx, target.Request{Method: "POST", Path: r.chatPath, Key: r.cfg.Keys.API, Body: target.JSON(capped)})
		r.capTokens = err != nil || !refusesOption(ex.Status)
	})
}

// probe calls path, then fallback if path is 404, without credentials: the
// path that routes (path when neither does), whether one did, and the network
// error when the first call got no HTTP answer.
func (r *runtime) probe(ctx context.Context, method, path, fallback string) (string, bool, error) {
	for i, p := range []string{path, fallback} {
		req := target.Request{Method: method, Path: p, Auth: authHeader("")}
		if method == "POST" {
			req.Body = chat()
		}
		ex, err := r.client.Do(ctx, req)
		var netErr *target.NetError
		if i == 0 && errors.As(err, &netErr) && ctx.Err() == nil {
			return path, false, err
		}
		if err != nil || ex.Status != http.StatusNotFound {
			return p, true, nil
		}
	}
	return path, false, nil
}

// ErrUnreachable marks a run stopped before the specs because the target gave
// no HTTP answer (network, TLS, timeout): every spec is an ERROR.
var ErrUnreachable = errors.New("the target did not answer")

// preflight runs discovery before the specs and stops a run that could only
// report the user's mistake as the target's failures: no API at the base URL,
// a refused key (ErrConfig), or a target that does not answer (ErrUnreachable).
// A target missing one route only is left to the specs of that route.
func (r *runtime) preflight(ctx context.Context) error {
	r.status.begin("preflight")
	r.discover(ctx)
	switch {
	case r.unreachable != nil:
		return fmt.Errorf("%w: %s", ErrUnreachable, r.red.String(r.unreachable.Error()))
	case r.noChat && r.noModels:
		return configErrorf("no Carpathian AI API at this base URL: POST {root}%s and {root}%s, GET {root}%s and {root}%s "+
			"all answered 404, with {root} = %s; give the API's base URL, like https://api.carpathian.ai/ai/v1",
			target.PathChat, target.PathAliasChatComp, target.PathModels, "/models", r.cfg.Root)
	case r.keyRefused != nil && !r.noModels:
		return configErrorf("the --api-key (%s) was refused (401) by GET %s: check the key (if the key is right, the target breaks ROUTE-4/AUTH)",
			target.Redact(r.cfg.Keys.API), r.keyRefused.URL)
	}
	return nil
}

// refusesOption tells whether a status refuses the request's content (400,
// 422) rather than the caller (401-403), the rate (429) or the route.
func refusesOption(status int) bool {
	return status == http.StatusBadRequest || status == http.StatusUnprocessableEntity
}

// boundModel is the model the run found bound to the key, if any.
func (r *runtime) boundModel() string {
	if r.model != "" {
		return r.model
	}
	return r.cfg.Model
}

// chatPath is the chat route specs of other clauses use.
func chatPath(ctx context.Context) string { rt.discover(ctx); return rt.chatPath }

// modelsPath is the models route specs of other clauses use.
func modelsPath(ctx context.Context) string { rt.discover(ctx); return rt.modelsPath }

// modelName is the model ordinary chat calls name: the id the models list
// gives (what a careful client sends), else "default".
func modelName(ctx context.Context) string {
	rt.discover(ctx)
	if rt.model != "" {
		return rt.model
	}
	return "default"
}

// Entry names for what a spec records beside Ginkgo's pass/fail.
const (
	entryErrored  = "carpathian:errored"
	entryEvidence = "carpathian:evidence"
	entryDetail   = "carpathian:detail"
	entryObserved = "carpathian:observed"
)

// The one-line prompt every chat call sends, asking for a one-word answer:
// the user pays per token. Ordinary calls also carry max_tokens (unless the
// target refuses it, see discover); temperature and response_format are
// CHAT-5's to test, and a target refusing one must fail CHAT-5 alone.
const prompt = "Reply with the single word: ok"

// smallMaxTokens caps every ordinary chat call and is what CHAT-6 sends.
const smallMaxTokens = 8

// chat is the contract's chat payload with model "default" (and max_tokens
// once discovery has found the target takes it), changed by the options a spec
// names. Specs call it after discovery (chatPath, modelName and reachable run it).
func chat(opts ...func(*target.ChatRequest)) []byte {
	req := target.ChatRequest{Model: "default", Messages: []target.Message{{Role: "user", Content: prompt}}}
	if rt != nil && rt.capTokens {
		req.MaxTokens = smallMaxTokens
	}
	for _, o := range opts {
		o(&req)
	}
	return target.JSON(req)
}

// ordinaryChat is the payload for specs not about the model: it names the
// bound model, so that a target refusing "default" fails MODEL-2 alone.
func ordinaryChat(ctx context.Context, opts ...func(*target.ChatRequest)) []byte {
	model := modelName(ctx)
	return chat(append([]func(*target.ChatRequest){func(r *target.ChatRequest) { r.Model = model }}, opts...)...)
}

// send makes one call with the run's key unless the request names another.
// No HTTP answer (network, TLS, timeout, budget) ends the spec as ERROR.
func send(ctx context.Context, req target.Request) *target.Exchange {
	GinkgoHelper()
	reachable(ctx)
	if req.Key == "" && req.Auth == nil {
		req.Key = rt.cfg.Keys.API
	}
	ex, err := rt.client.Do(ctx, req)
	if err != nil {
		errored(err)
	}
	return ex
}

// reachable ends the spec as an ERROR when the target gave no HTTP answer
// to the run's first call.
func reachable(ctx context.Context) {
	GinkgoHelper()
	rt.discover(ctx)
	if rt.unreachable != nil {
		errored(fmt.Errorf("the target did not answer: %w", rt.unreachable))
	}
}

// postChat posts a chat payload to a path relative to the root.
func postChat(ctx context.Context, path string, body []byte) *target.Exchange {
	GinkgoHelper()
	return send(ctx, target.Request{Method: "POST", Path: path, Body: body})
}

// ordinaryCall posts the ordinary chat payload, changed by opts, to the chat route.
func ordinaryCall(ctx context.Context, opts ...func(*target.ChatRequest)) *target.Exchange {
	GinkgoHelper()
	return postChat(ctx, chatPath(ctx), ordinaryChat(ctx, opts...))
}

// holds fails the spec as a violation when a check found something.
func holds(err error, exs ...*target.Exchange) {
	GinkgoHelper()
	if err != nil {
		violated(err.Error(), exs...)
	}
}

// violated fails the spec: the target broke the clause; the exchanges prove it.
func violated(detail string, exs ...*target.Exchange) {
	GinkgoHelper()
	attachEvidence(exs...)
	Fail(rt.red.String(detail))
}

// errored fails the spec as the tool's or network's failure, not the target's.
func errored(err error) {
	GinkgoHelper()
	AddReportEntry(entryErrored, true, ReportEntryVisibilityNever)
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out: " + msg
	}
	Fail(rt.red.String(msg))
}

// observe records an INFO observation.
func observe(detail string, exs ...*target.Exchange) {
	attachEvidence(exs...)
	AddReportEntry(entryObserved, rt.red.String(detail), ReportEntryVisibilityNever)
}

// note records a one-line detail for a spec that passed.
func note(format string, args ...any) {
	AddReportEntry(entryDetail, rt.red.String(fmt.Sprintf(format, args...)), ReportEntryVisibilityNever)
}

func attachEvidence(exs ...*target.Exchange) {
	attachEvidenceAs(func(string) string { return "" }, exs...)
}

// attachEvidenceAs attaches the exchanges with their curl rewritten by
// repro ("" keeps it).
func attachEvidenceAs(repro func(curl string) string, exs ...*target.Exchange) {
	var ev []target.Evidence
	for _, ex := range exs {
		if ex != nil {
			e := ex.Evidence(rt.red)
			if r := repro(e.Curl); r != "" {
				e.Curl = r
			}
			ev = append(ev, e)
		}
	}
	if len(ev) > 0 {
		AddReportEntry(entryEvidence, ev, ReportEntryVisibilityNever)
	}
}

// violatedBurst fails the spec with evidence whose curl replays the whole
// burst (n copies at once, answers counted by status): one call alone proves
// nothing about a rate limit.
func violatedBurst(detail string, n int, exs ...*target.Exchange) {
	GinkgoHelper()
	attachEvidenceAs(func(curl string) string {
		return fmt.Sprintf("seq %d | xargs -P %d -I{} %s -o /dev/null -w '%%{http_code}\\n' | sort | uniq -c", n, n, curl)
	}, exs...)
	Fail(rt.red.String(detail))
}

// needKey skips the spec, with the reason, when the key it needs was not given.
func needKey(key, flag string) string {
	GinkgoHelper()
	if key == "" {
		Skip(fmt.Sprintf("needs %s (not given)", flag))
	}
	return key
}

// authHeader is a verbatim Authorization header value for a request.
func authHeader(v string) *string { return &v }

// window is the declared limit's window, for waits.
func window() time.Duration { return rt.cfg.Limit.Window }
