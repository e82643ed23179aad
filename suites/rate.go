package suites

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// The RATE workflow's gathering: bursts sent at once, each call's send time
// kept, and the judgement left to internal/judge (rate.go). Every call here
// bypasses the pacer's waiting (it still counts them) so it sees raw 429s.

// crossCalls is how many calls the workflow sends on each other chat path
// once the key's limit is reached: more than a limiter can regain in the
// moment it takes, so a path outside the key's limit shows (RATE-1).
const crossCalls = 3

// rateTry is one try of the RATE burst: the burst on the primary path, then
// the calls on the other chat paths sent once the first 429 came back.
type rateTry struct {
	burst   []judge.RateCall
	cross   []judge.RateCall
	reached time.Time // the key's limit known reached (judge.LimitReached)
	sdk     *Reply    // one SDK call sent with the cross calls (SDK-2 on a 429); nil: no answer
	retry   *retryProbe
}

// all is every call of the try, burst first.
func (t *rateTry) all() []judge.RateCall {
	return append(append([]judge.RateCall{}, t.burst...), t.cross...)
}

// rateRoute is the path and body the workflow bursts with: the contract's
// plain payload on the primary chat path, unless the rows found it not served
// there; then the first chat path that served it, else the primary path with
// the bound model named. So a broken route or a refused "default" fails its
// own clause, not RATE.
func (r *runtime) rateRoute() (path string, body []byte) {
	for _, p := range chatPaths {
		r.mu.Lock()
		got := r.replies[Probe{Path: p, Key: KeyValid, Variant: VariantPlain}]
		r.mu.Unlock()
		if got != nil && got.Ex != nil && judge.CheckServed(got.Ex) == nil {
			return p, VariantPlain.body()
		}
	}
	model := r.boundModel()
	if model == "" {
		model = "default"
	}
	return chatPaths[0], target.JSON(target.ChatRequest{Model: model, Messages: []target.Message{{Role: "user", Content: prompt}}})
}

// rateCall sends one unpaced call and records when it went out. No answer
// within the per-attempt timeout is an unanswered call, judged as not
// refused (a slow backend may still be working on it); a connection the
// target dropped, the budget or an interrupt is an error: the burst cannot
// be judged.
func (r *runtime) rateCall(ctx context.Context, path string, body []byte) (judge.RateCall, error) {
	return r.rateCallAs(ctx, rateVariant{}, path, body)
}

// rateVariant is a request variant sent once the limit is full: another
// body, or the key with the scheme spelled "bearer".
type rateVariant struct {
	name  string
	body  []byte
	lower bool
}

// limitVariants are sent on the burst's path once the key's limit is full,
// twice each (more than the one call a limiter may regain meanwhile): a
// limiter keyed by model name or by the raw header, or one that skips stream
// or max_tokens calls, lets them through (RATE-1).
func limitVariants() []rateVariant {
	var out []rateVariant
	for range 2 {
		out = append(out, rateVariant{name: "bearer", body: VariantPlain.body(), lower: true})
		for _, v := range []Variant{VariantNoModel, VariantModelOther, VariantStream, VariantMaxTokens} {
			out = append(out, rateVariant{name: string(v), body: v.body()})
		}
	}
	return out
}

// rateCallAs is rateCall with a variant's label and credentials.
func (r *runtime) rateCallAs(ctx context.Context, v rateVariant, path string, body []byte) (judge.RateCall, error) {
	c := judge.RateCall{Path: path, Variant: v.name, Sent: time.Now()}
	req := target.Request{Method: http.MethodPost, Path: path, Key: r.cfg.Keys.API, Body: body}
	if v.lower {
		req.Auth, req.Key = authHeader("bearer "+r.cfg.Keys.API), ""
	}
	ex, err := r.client.Do(burst(ctx), req)
	c.Answered = time.Now()
	var timeout interface{ Timeout() bool }
	switch {
	case err == nil:
		c.Ex = ex
	case ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timeout) && timeout.Timeout()):
		c.Err = err
	default:
		return c, fmt.Errorf("a call of the RATE burst got no HTTP answer, so the burst cannot be judged: %w", err)
	}
	return c, nil
}

// volley sends the calls at once, one per path given, and waits for them all.
// When refused is non-nil it is closed as soon as a 429 comes back (or when
// every call has answered), so the next volley can start meanwhile; got, when
// non-nil, collects each call as it comes back.
func (r *runtime) volley(ctx context.Context, paths []string, body []byte, refused chan<- struct{}, got *answers) ([]judge.RateCall, error) {
	calls := make([]judge.RateCall, len(paths))
	errs := make([]error, len(paths))
	var once sync.Once
	signal := func() {
		if refused != nil {
			once.Do(func() { close(refused) })
		}
	}
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i], errs[i] = r.rateCall(ctx, p, body)
			got.add(calls[i])
			if calls[i].Outcome() == judge.CallRefused {
				signal()
			}
		}()
	}
	wg.Wait()
	signal()
	return calls, errors.Join(errs...)
}

// variantVolley sends one call per limitVariants on path at once.
func (r *runtime) variantVolley(ctx context.Context, path string, got *answers) ([]judge.RateCall, error) {
	vs := limitVariants()
	calls := make([]judge.RateCall, len(vs))
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i], errs[i] = r.rateCallAs(ctx, v, path, v.body)
			got.add(calls[i])
		}()
	}
	wg.Wait()
	return calls, errors.Join(errs...)
}

// secondRatePath is a chat path besides path for the burst to span: the
// first whose plain payload the rows found served, or, when the rows were not
// run (a RATE-only selection), the next documented one. "" when the rows
// found none served (nothing to split over).
func (r *runtime) secondRatePath(path string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	unprobed := ""
	for _, p := range chatPaths {
		got, sent := r.replies[Probe{Path: p, Key: KeyValid, Variant: VariantPlain}]
		switch {
		case p == path:
		case got != nil && got.Ex != nil && judge.CheckServed(got.Ex) == nil:
			return p
		case !sent && unprobed == "":
			unprobed = p
		}
	}
	return unprobed
}

// unservedPaths are the chat paths whose plain payload the rows sent and
// found not served (a path not probed is not among them).
func (r *runtime) unservedPaths() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for _, p := range chatPaths {
		got := r.replies[Probe{Path: p, Key: KeyValid, Variant: VariantPlain}]
		if got != nil && got.Ex != nil && judge.CheckServed(got.Ex) != nil {
			out[p] = true
		}
	}
	return out
}

// answers collects a burst's calls as they come back, for a step that must
// not wait for the slowest: RATE-4's call on a one-at-a-time backend.
type answers struct {
	mu    sync.Mutex
	calls []judge.RateCall
}

func (a *answers) add(c judge.RateCall) {
	if a != nil {
		a.mu.Lock()
		a.calls = append(a.calls, c)
		a.mu.Unlock()
	}
}

func (a *answers) snapshot() []judge.RateCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]judge.RateCall(nil), a.calls...)
}

// retryProbe is RATE-4's step: the earliest Retry-After promise among the
// calls, and one call on its path once it is due (a little later for the
// clocks' rounding). A promise beyond two windows (and the whole seconds
// Retry-After is written in) is not waited out: probe stays nil.
type retryProbe struct {
	promise judge.RetryPromise
	probe   *judge.RateCall
	wait    time.Duration // how long the promise asked for, from when it was read
}

// probeRetry makes RATE-4's step; nil when no call gave a usable Retry-After.
func (r *runtime) probeRetry(ctx context.Context, calls []judge.RateCall, body []byte) (*retryProbe, error) {
	promise, ok := judge.RetryDeadline(calls)
	if !ok {
		return nil, nil
	}
	w := r.cfg.Limit.Window
	rp := &retryProbe{promise: promise, wait: time.Until(promise.At) + max(10*time.Millisecond, w/200)}
	if rp.wait > 2*w+2*time.Second {
		return rp, nil
	}
	if err := r.status.sleep(ctx, rp.wait, "Retry-After before the RATE-4 call"); err != nil {
		return nil, err
	}
	c, err := r.rateCall(ctx, promise.Path, body)
	if err != nil {
		return nil, err
	}
	rp.probe = &c
	return rp, nil
}

// unanswered tells whether no call of a volley got an answer within the
// timeout: then nothing can be told of what is served.
func unanswered(calls []judge.RateCall) bool {
	t := judge.Tally(calls)
	return t.Unanswered == len(calls)
}

// burstShape is what one RATE burst sends: size calls at once on the
// primary path, then, as soon as the first 429 comes back, perOther calls on
// each other chat path and, with sdk, one call through the OpenAI SDK; with
// probe, RATE-4's call once those have answered, not waiting for the slowest
// of the burst.
type burstShape struct {
	size, perOther int
	sdk, probe     bool
	// variants: once the limit is full, one call per limitVariants on the
	// burst's path; the burst alternates with a second chat path that serves.
	variants bool
}

// tryShape is the RATE-1/RATE-2 try: N and the excess, crossCalls per other path, the SDK.
func tryShape(n int) burstShape {
	return burstShape{size: n + judge.OverLimitExtra(n), perOther: crossCalls, sdk: true, variants: true}
}

// recoveryShape is RATE-3's burst: N and the slack on the primary path, and
// one call per other path, so RATE-4 has a fresh 429 with its Retry-After on
// every chat path.
func recoveryShape(n int) burstShape {
	return burstShape{size: n + judge.BurstSlack(n), perOther: 1, probe: true}
}

// calls is what the shape spends.
func (b burstShape) calls() int {
	c := b.size + b.perOther*(len(chatPaths)-1)
	if b.sdk {
		c++
	}
	if b.probe {
		c++
	}
	if b.variants {
		c += len(limitVariants())
	}
	return c
}

// rateBurst waits out a quiet period of W and sends a burst of the shape.
func (r *runtime) rateBurst(ctx context.Context, path string, body []byte, lastAnswer time.Time, shape burstShape) (*rateTry, error) {
	if err := r.rateQuiet(ctx, lastAnswer, "the quiet window before a RATE burst"); err != nil {
		return nil, err
	}
	paths := make([]string, shape.size)
	second := ""
	if shape.variants {
		second = r.secondRatePath(path)
	}
	for i := range paths {
		paths[i] = path
		if second != "" && i%2 == 1 {
			paths[i] = second // the limit is the key's: both paths count
		}
	}
	var others []string
	for _, p := range chatPaths {
		if p != path {
			for range shape.perOther {
				others = append(others, p)
			}
		}
	}
	try := &rateTry{}
	refused := make(chan struct{})
	got := &answers{}
	var burstErr, crossErr, probeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		try.burst, burstErr = r.volley(ctx, paths, body, refused, got)
	}()
	select {
	case <-refused:
	case <-ctx.Done():
	}
	if shape.sdk {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No HTTP answer leaves SDK-2 without a judgement, nothing more.
			try.sdk, _ = r.sdkCall(burst(ctx), Probe{Path: target.PathChat, Key: KeyValid, Variant: VariantPlain, SDK: true})
		}()
	}
	try.cross, crossErr = r.volley(ctx, others, body, nil, got)
	if shape.variants && crossErr == nil {
		var vs []judge.RateCall
		vs, crossErr = r.variantVolley(ctx, path, got)
		try.cross = append(try.cross, vs...)
	}
	if shape.probe && crossErr == nil {
		try.retry, probeErr = r.probeRetry(ctx, got.snapshot(), body)
	}
	wg.Wait()
	if err := errors.Join(burstErr, crossErr, probeErr); err != nil {
		return nil, err
	}
	try.reached, _ = judge.LimitReached(try.burst)
	return try, nil
}

// rateQuiet waits out a quiet period of W: a pace window since the last call
// the run sent, and since the last answer the workflow got (the target counted
// each call before answering it, however late the call reached it), and
// quietMargin more for the target's clock.
func (r *runtime) rateQuiet(ctx context.Context, lastAnswer time.Time, what string) error {
	w := r.cfg.Limit.Window
	d := max(r.pacer.QuietDelay(), time.Until(lastAnswer.Add(PaceWindow(w)))) + quietMargin(w)
	return r.status.sleep(ctx, d, what)
}

// quietMargin is what a RATE quiet period adds to the pace window: a tenth of
// a short window (a busy machine delays calls by that much), at most 250 ms.
func quietMargin(w time.Duration) time.Duration { return min(w/10, 250*time.Millisecond) }

// lastAnswer is when the last of the calls got its answer (or gave up).
func lastAnswer(calls []judge.RateCall) time.Time {
	var t time.Time
	for _, c := range calls {
		if c.Answered.After(t) {
			t = c.Answered
		}
	}
	return t
}

// rateMaxWait is about the longest the RATE workflow waits, for the clauses
// selected: a quiet period before the first try (RATE-2 or RATE-1) and before
// RATE-1's second try and RATE-3's burst, and up to two windows of
// Retry-After before RATE-4's call.
func rateMaxWait(l target.Limit, selected map[string]bool) time.Duration {
	pw := PaceWindow(l.Window) + quietMargin(l.Window)
	var d time.Duration
	if selected["RATE-1"] || selected["RATE-2"] {
		d += pw
	}
	if selected["RATE-1"] && selected["RATE-2"] {
		d += pw
	}
	if selected["RATE-4"] {
		d += 2 * l.Window
	}
	if selected["RATE-3"] {
		d += pw
	}
	return d
}
