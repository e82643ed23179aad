package suites

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// runtime is what the specs read: the run's configuration, the one client
// (with its pacer and meter) every call goes through, and the replies already
// received (rows that judge the same request share one call). Prepare and Run
// build it once and hand it to the spec tree (see bridge); specs never write
// its configuration.
type runtime struct {
	cfg    Config
	client *target.Client
	pacer  *Pacer
	meter  *Meter
	status *status
	red    target.Redactor

	mu      sync.Mutex
	replies map[Probe]*Reply // what each probe got, once

	// preflight: the target answers, there is an API at the base URL, and the
	// key is not refused.
	unreachable error
}

func newRuntime(cfg Config) *runtime {
	meter := &Meter{max: int64(cfg.MaxCalls)}
	pacer := NewPacer(cfg.Limit)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = target.DefaultTimeout
	}
	st := newStatus(meter, 0)
	client := newPacedClient(cfg.Root, cfg.Conn, pacer, meter, timeout, st)
	return &runtime{cfg: cfg, client: client, pacer: pacer, meter: meter, status: st, red: cfg.Redactor(),
		replies: map[Probe]*Reply{}}
}

// preflightCalls is what preflight spends, counted in the plan.
const preflightCalls = 4

// ErrUnreachable marks a run stopped before the specs because the target gave
// no HTTP answer (network, TLS, timeout): every spec is an ERROR.
var ErrUnreachable = errors.New("the target did not answer")

// preflight stops a run that could only report the user's mistake as the
// target's failures: no API at the base URL, a refused key (ErrConfig), or a
// target that does not answer (ErrUnreachable). It calls with the run's key:
// a gateway that authenticates before routing answers 401 on any path
// without one, so an unauthenticated answer proves no route. A models call
// and a chat call without messages cost no tokens. A target missing one
// route only is left to the rows of that route.
func (r *runtime) preflight(ctx context.Context) error {
	r.status.begin("preflight")
	models, err := r.firstRouted(ctx, "GET", nil, target.PathModels, "/models")
	if err != nil {
		var netErr *target.NetError
		if errors.As(err, &netErr) && ctx.Err() == nil {
			r.unreachable = err
			return fmt.Errorf("%w: %s", ErrUnreachable, r.red.String(err.Error()))
		}
		return nil // the budget or an interrupt: the specs say so
	}
	chat, err := r.firstRouted(ctx, "POST", []byte(`{"model":"default"}`), target.PathChat, target.PathAliasChatComp)
	if err != nil {
		return nil
	}
	switch {
	case models.Status == http.StatusNotFound && chat.Status == http.StatusNotFound:
		return configErrorf("no Carpathian AI API at this base URL: GET {root}%s and {root}%s, POST {root}%s and {root}%s "+
			"all answered 404, with {root} = %s; give the API's base URL, like https://api.carpathian.ai/ai/v1",
			target.PathModels, "/models", target.PathChat, target.PathAliasChatComp, r.cfg.Root)
	case models.Status == http.StatusUnauthorized && chat.Status == http.StatusUnauthorized:
		return configErrorf("the --api-key (%s) was refused (401) by GET %s and POST %s: check the key (if the key is right, the target breaks AUTH)",
			target.Redact(r.cfg.Keys.API), models.URL, chat.URL)
	}
	return nil
}

// firstRouted calls path with the run's key, then fallback if path is 404:
// the last answer.
func (r *runtime) firstRouted(ctx context.Context, method string, body []byte, path, fallback string) (*target.Exchange, error) {
	var ex *target.Exchange
	for _, p := range []string{path, fallback} {
		var err error
		ex, err = r.client.Do(ctx, target.Request{Method: method, Path: p, Key: r.cfg.Keys.API, Body: body})
		if err != nil {
			return nil, err
		}
		if ex.Status != http.StatusNotFound {
			break
		}
	}
	return ex, nil
}

// fetch is the reply to a probe: sent once per run, then shared by every row
// that judges it. No HTTP answer (network, TLS, timeout, budget) ends the
// spec as ERROR; a key not given skips it.
func (r *runtime) fetch(ctx context.Context, p Probe) *Reply {
	GinkgoHelper()
	r.mu.Lock()
	got, ok := r.replies[p]
	r.mu.Unlock()
	if ok {
		return got
	}
	r.reachable()
	if flag := p.Key.missing(r.cfg.Keys); flag != "" {
		Skip(fmt.Sprintf("needs %s (not given)", flag))
	}
	got, err := r.send(ctx, p)
	if err != nil {
		r.errored(err)
	}
	r.mu.Lock()
	r.replies[p] = got
	r.mu.Unlock()
	return got
}

// peek is the reply a probe got if the run made it, else nil.
func (r *runtime) peek(p Probe) *Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.replies[p]
}

// reachable ends the spec as an ERROR when the target gave no HTTP answer
// to the preflight.
func (r *runtime) reachable() {
	GinkgoHelper()
	if r.unreachable != nil {
		r.errored(fmt.Errorf("the target did not answer: %w", r.unreachable))
	}
}

// request is a probe as an HTTP request (the SDK's are made by the SDK).
func (r *runtime) request(p Probe) target.Request {
	req := target.Request{Method: p.method(), Path: p.Path, Body: p.Variant.body()}
	req.Auth, req.Key = p.Key.credentials(r.cfg.Keys)
	if p.LowerBearer && req.Key != "" {
		req.Auth, req.Key = authHeader("bearer "+req.Key), ""
	}
	if p.Variant == VariantStream {
		req.Header = streamAccept
	}
	return req
}

// streamAccept is the Accept of stream: true probes: JSON, or the event
// stream an SDK's streaming call asks for. A target that streams when asked
// so breaks CHAT-8; one that negotiates still answers JSON.
var streamAccept = http.Header{"Accept": {"application/json, text/event-stream"}}

// send makes a probe's call.
func (r *runtime) send(ctx context.Context, p Probe) (*Reply, error) {
	if p.SDK {
		return r.sdkCall(ctx, p)
	}
	ex, err := r.client.Do(ctx, r.request(p))
	if err != nil {
		return nil, err
	}
	return &Reply{Ex: ex}, nil
}

// Entry names for what a spec records beside Ginkgo's pass/fail.
const (
	entryErrored  = "carpathian:errored"
	entryEvidence = "carpathian:evidence"
	entryDetail   = "carpathian:detail"
	entryObserved = "carpathian:observed"
	entryScope    = "carpathian:scope"
)

// The one-line prompt every chat call sends, asking for a one-word answer:
// the user pays per token.
const prompt = "Reply with the single word: ok"

// violated fails the spec: the target broke the clause; the exchanges prove it.
func (r *runtime) violated(detail string, exs ...*target.Exchange) {
	GinkgoHelper()
	r.attachEvidence(nil, exs...)
	Fail(r.red.String(detail))
}

// errored fails the spec as the tool's or network's failure, not the target's.
func (r *runtime) errored(err error) {
	GinkgoHelper()
	AddReportEntry(entryErrored, true, ReportEntryVisibilityNever)
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out: " + msg
	}
	Fail(r.red.String(msg))
}

// observe records an INFO observation.
func (r *runtime) observe(detail string, exs ...*target.Exchange) {
	r.attachEvidence(nil, exs...)
	AddReportEntry(entryObserved, r.red.String(detail), ReportEntryVisibilityNever)
}

// note records a one-line detail for a spec that passed.
func (r *runtime) note(format string, args ...any) {
	AddReportEntry(entryDetail, r.red.String(fmt.Sprintf(format, args...)), ReportEntryVisibilityNever)
}

// attachEvidence attaches the exchanges, their curl rewritten by repro
// (nil or "" keeps it).
func (r *runtime) attachEvidence(repro func(curl string) string, exs ...*target.Exchange) {
	var ev []target.Evidence
	for _, ex := range exs {
		if ex != nil {
			e := ex.Evidence(r.red)
			if repro != nil {
				if c := repro(e.Curl); c != "" {
					e.Curl = c
				}
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
func (r *runtime) violatedBurst(detail string, n int, exs ...*target.Exchange) {
	GinkgoHelper()
	r.attachEvidence(func(curl string) string {
		return fmt.Sprintf("seq %d | xargs -P %d -I{} %s -o /dev/null -w '%%{http_code}\\n' | sort | uniq -c", n, n, curl)
	}, exs...)
	Fail(r.red.String(detail))
}

// judged ends a row's spec by its expectation's verdict: a violation fails
// it, ErrCannotTell skips it with the reason, a note is kept.
func (r *runtime) judged(info bool, note string, err error, exs ...*target.Exchange) {
	GinkgoHelper()
	switch {
	case errors.Is(err, judge.ErrCannotTell):
		Skip(r.red.String(err.Error()))
	case err != nil:
		r.violated(err.Error(), exs...)
	case info:
		r.observe(note, exs...)
	case note != "":
		r.note("%s", note)
	}
}

// authHeader is a verbatim Authorization header value for a request.
func authHeader(v string) *string { return &v }

// boundModel is the model the run found bound to the key (what {root}/v1/models
// listed), else the one configured.
func (r *runtime) boundModel() string {
	r.mu.Lock()
	got := r.replies[Probe{Path: modelsPaths[0], Key: KeyValid}]
	r.mu.Unlock()
	if got != nil && got.Ex.Status == http.StatusOK {
		if ids, err := judge.ModelIDs(got.Ex.Body); err == nil && len(ids) > 0 && ids[0] != "" {
			return ids[0]
		}
	}
	return r.cfg.Model
}
