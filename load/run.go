package load

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// DefaultGrace is how long in-flight calls may finish after a run is
// stopped (Ctrl-C, an abort condition).
const DefaultGrace = 10 * time.Second

// Option configures a run.
type Option func(*config)

type config struct {
	sinks         []Sink
	checker       ResponseChecker
	sampleEvery   int
	aborts        []AbortCondition
	grace         time.Duration
	progress      func(Progress)
	progressEvery time.Duration
	client        *http.Client
	pacerOpts     []PacerOption
}

// WithSinks streams every hit to the sinks (outputs, a caller's analysis).
func WithSinks(s ...Sink) Option { return func(c *config) { c.sinks = append(c.sinks, s...) } }

// WithChecker checks one successful chat reply in every (default
// DefaultSampleEvery) with the checker.
func WithChecker(ch ResponseChecker, every int) Option {
	return func(c *config) { c.checker, c.sampleEvery = ch, every }
}

// WithAbort stops the run early when any condition holds.
func WithAbort(a ...AbortCondition) Option {
	return func(c *config) { c.aborts = append(c.aborts, a...) }
}

// WithGrace sets how long in-flight calls may finish once the run is
// stopped; calls still running then are abandoned (counted, not waited for).
func WithGrace(d time.Duration) Option { return func(c *config) { c.grace = d } }

// WithProgress calls f every interval with the figures so far.
func WithProgress(every time.Duration, f func(Progress)) Option {
	return func(c *config) { c.progress, c.progressEvery = f, every }
}

// WithHTTPClient replaces the HTTP client (default target.NewHTTPClient with
// the plan's timeout: no redirect to another host, so the key stays home).
// Its transport is wrapped, not changed.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.client = hc } }

// WithPacerOptions tunes the pacer (WithTolerance).
func WithPacerOptions(o ...PacerOption) Option {
	return func(c *config) { c.pacerOpts = append(c.pacerOpts, o...) }
}

// Progress is a run's figures so far, for a live status line.
type Progress struct {
	Elapsed, Total time.Duration
	Requests       uint64
	Rate           float64 // requests per second so far
	SuccessRatio   float64
	P95            time.Duration // of successes
	Tokens         int64
	Missed         uint64
}

// Result is a finished run.
type Result struct {
	Plan              Plan
	Summary           Summary
	Started, Finished time.Time
}

// Run sends the plan's calls with vegeta's Attacker, paced by the plan's
// profile, and returns its figures. Every hit goes, as it arrives, into the
// metrics (fixed memory) and the sinks; nothing is kept per call. Cancelling
// ctx stops sending, lets in-flight calls finish within the grace period and
// still closes every sink; the result then says Interrupted. The error is
// an invalid plan (no result) or a sink that failed (with the result).
func Run(ctx context.Context, plan Plan, opts ...Option) (*Result, error) {
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	plan.Path, _ = ResolvePath(plan.Path)
	if plan.IsModels() {
		plan.Bodies = nil
	}
	if plan.Timeout == 0 {
		plan.Timeout = target.DefaultTimeout
	}
	if plan.MaxWorkers == 0 {
		plan.MaxWorkers = DefaultMaxWorkers
	}
	if plan.Name == "" {
		plan.Name = "load"
	}
	cfg := config{grace: DefaultGrace, sampleEvery: DefaultSampleEvery, progressEvery: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	r := newRunner(&plan, &cfg)
	return r.run(ctx)
}

type runner struct {
	plan    *Plan
	cfg     *config
	hc      *http.Client
	pacer   *Pacer
	sent    atomic.Uint64 // targeter calls: one per hit vegeta starts
	mu      sync.Mutex    // guards metrics, window, sampler
	metrics *Metrics
	window  *window
	sampler *sampler
	sinkErr []error
	sinkOK  []bool
	hit     Hit
}

func newRunner(plan *Plan, cfg *config) *runner {
	r := &runner{plan: plan, cfg: cfg, metrics: NewMetrics(len(plan.Keys)),
		sampler: newSampler(cfg.checker, cfg.sampleEvery), sinkOK: make([]bool, len(cfg.sinks))}
	var span time.Duration
	for _, a := range cfg.aborts {
		span = max(span, a.Window)
	}
	if span > 0 {
		r.window = newWindow(span)
	}
	for i := range r.sinkOK {
		r.sinkOK[i] = true
	}
	base := cfg.client
	if base == nil {
		base = target.NewHTTPClient(plan.Timeout, plan.Conn)
		if tr, ok := target.HTTPTransport(base.Transport); ok {
			// One idle connection per worker: no churn at high rates.
			tr.MaxIdleConnsPerHost = int(min(plan.MaxWorkers, 10000))
		}
	}
	hc := *base
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	hc.Transport = newCallTransport(hc.Transport, plan)
	r.hc = &hc
	r.pacer = plan.Profile.NewPacer(append([]PacerOption{WithMaxCalls(plan.MaxCalls), withStarted(r.sent.Load)}, cfg.pacerOpts...)...)
	return r
}

func (r *runner) attacker() *vegeta.Attacker {
	workers, maxWorkers := uint64(vegeta.DefaultWorkers), r.plan.MaxWorkers
	if n := r.plan.Profile.InFlight(); n > 0 {
		workers, maxWorkers = uint64(n), uint64(n)
	}
	return vegeta.NewAttacker(
		vegeta.Client(r.hc),
		// vegeta reads bodies whole by default; cap them as every part of the
		// tool does, high enough that usage (at the end of the JSON) is read.
		vegeta.MaxBody(target.DefaultMaxBody),
		vegeta.Workers(min(workers, maxWorkers)),
		vegeta.MaxWorkers(maxWorkers),
	)
}

func (r *runner) targeter() vegeta.Targeter {
	tgt := vegeta.Target{Method: r.plan.Method(), URL: r.plan.Root.URL(r.plan.Path), Header: http.Header{}}
	if !r.plan.IsModels() {
		tgt.Header.Set("Content-Type", "application/json")
		tgt.Body = r.plan.Bodies[0] // replaced per call by callTransport
	}
	return func(t *vegeta.Target) error {
		r.sent.Add(1)
		*t = tgt
		return nil
	}
}

func (r *runner) run(ctx context.Context) (*Result, error) {
	atk := r.attacker()
	started := time.Now()
	// An open loop ends when its pacer has offered every slot, which may be a
	// little after the profile's end when it had to catch up; a closed loop
	// ends with its duration.
	var du time.Duration
	if r.plan.Profile.InFlight() > 0 {
		du = r.plan.Profile.Duration()
	}
	results := atk.Attack(r.targeter(), r.pacer, du, r.plan.Name)
	defer r.hc.CloseIdleConnections()

	tick := r.cfg.progressEvery
	if len(r.cfg.aborts) > 0 {
		tick = min(tick, 250*time.Millisecond)
	}
	ticker := time.NewTicker(tick)
	defer ticker.Stop()

	var (
		done        = ctx.Done()
		graceOver   <-chan time.Time
		stoppedAt   time.Duration
		interrupted bool
		aborted     string
		abandoned   uint64
	)
	stop := func() {
		if graceOver == nil {
			atk.Stop()
			stoppedAt = time.Since(started)
			graceOver = time.After(r.cfg.grace)
		}
	}
loop:
	for {
		select {
		case res, ok := <-results:
			if !ok {
				break loop
			}
			r.add(res, started)
		case <-done:
			done, interrupted = nil, true
			stop()
		case <-ticker.C:
			elapsed := time.Since(started)
			if aborted == "" && graceOver == nil {
				if a := r.checkAborts(elapsed); a != "" {
					aborted = a
					stop()
				}
			}
			if r.cfg.progress != nil {
				r.cfg.progress(r.progress(elapsed))
			}
		case <-graceOver:
			// Calls still running end at their timeout; drain them unseen.
			abandoned = r.sent.Load() - r.metrics.Requests()
			go func() {
				for range results {
				}
			}()
			break loop
		}
	}
	finished := time.Now()
	err := r.closeSinks()

	r.mu.Lock()
	s := r.metrics.Summary()
	s.Conformance = r.sampler.summary()
	r.mu.Unlock()
	for i := range s.Keys {
		s.Keys[i].Key = target.Redact(r.plan.Keys[i])
	}
	ps := r.pacer.Stats()
	s.Profile = r.plan.Profile.String()
	s.Elapsed = finished.Sub(started)
	s.Missed, s.Late = ps.Missed, ps.Late
	s.Slots = r.sent.Load() + ps.Missed
	s.Interrupted, s.Aborted, s.Abandoned = interrupted, aborted, abandoned
	period := r.plan.Profile.Duration()
	switch {
	case stoppedAt > 0:
		period = min(period, stoppedAt)
	case r.cappedEarly():
		period = s.Duration
	}
	if r.plan.Profile.InFlight() > 0 {
		s.OfferedRate = s.Rate // a closed loop offers what it achieves
	} else if period > 0 {
		s.OfferedRate = float64(s.Slots) / period.Seconds()
	}
	return &Result{Plan: *r.plan, Summary: s, Started: started, Finished: finished}, err
}

// cappedEarly tells whether MaxCalls stopped the run before its profile ended.
func (r *runner) cappedEarly() bool {
	planned, bounded := r.plan.Profile.Calls()
	return r.plan.MaxCalls > 0 && r.sent.Load() >= uint64(r.plan.MaxCalls) && (!bounded || planned > r.plan.MaxCalls)
}

// add takes one result into the metrics and sinks.
func (r *runner) add(res *vegeta.Result, started time.Time) {
	key, body := r.plan.Call(res.Seq)
	if body >= 0 {
		res.BytesOut = uint64(len(r.plan.Bodies[body])) // the body callTransport sent
	}
	h := &r.hit
	h.read(res, key, body, r.plan.Requested)
	var request []byte
	if body >= 0 {
		request = r.plan.Bodies[body]
	}
	r.mu.Lock()
	r.metrics.Add(h)
	if r.window != nil {
		r.window.add(time.Since(started), h.Outcome)
	}
	r.sampler.add(h, request)
	r.mu.Unlock()
	for i, s := range r.cfg.sinks {
		if r.sinkOK[i] {
			if err := s.Add(h); err != nil {
				r.sinkOK[i] = false
				r.sinkErr = append(r.sinkErr, err)
			}
		}
	}
}

func (r *runner) closeSinks() error {
	for _, s := range r.cfg.sinks {
		if err := s.Close(); err != nil {
			r.sinkErr = append(r.sinkErr, err)
		}
	}
	return errors.Join(r.sinkErr...)
}

// checkAborts returns the first abort condition that holds.
func (r *runner) checkAborts(elapsed time.Duration) string {
	if len(r.cfg.aborts) == 0 {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var whole *Summary
	for _, a := range r.cfg.aborts {
		var s Summary
		if a.Window > 0 {
			if elapsed < a.Window {
				continue
			}
			s = r.window.summary(elapsed, a.Window)
		} else {
			if whole == nil {
				sum := r.metrics.Summary()
				sum.Conformance = r.sampler.summary()
				sum.Missed = r.pacer.Stats().Missed
				whole = &sum
			}
			s = *whole
		}
		if a.holds(&s) {
			return a.String()
		}
	}
	return ""
}

func (r *runner) progress(elapsed time.Duration) Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.metrics
	p := Progress{Elapsed: elapsed, Total: r.plan.Profile.Duration(), Requests: m.requests,
		SuccessRatio: ratio(m.successes, m.requests), P95: m.SuccessQuantile(0.95),
		Tokens: m.tot, Missed: r.pacer.Stats().Missed}
	if secs := elapsed.Seconds(); secs > 0 {
		p.Rate = float64(m.requests) / secs
	}
	return p
}
