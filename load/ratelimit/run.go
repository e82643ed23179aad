package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// Run measures the limiter behind caller and returns the findings, with every
// call it made. Cancelling ctx stops it; what was measured is still analysed
// (Findings.Interrupted says so).
func Run(ctx context.Context, caller Caller, cfg Config) *Findings {
	cfg = cfg.withDefaults()
	r := &run{cfg: cfg, caller: caller, clock: cfg.Clock}
	started := r.clock.Now()
	err := r.probe(ctx)
	f := Analyze(r.sorted(), cfg)
	f.Started, f.Finished = started, r.clock.Now()
	f.Plan = NewPlan(cfg)
	if ctx.Err() != nil {
		f.Interrupted = true
	} else if err != nil {
		f.Error = err.Error()
	}
	f.Verdict, f.VerdictDetail = verdict(f)
	return f
}

type run struct {
	cfg     Config
	caller  Caller
	clock   Clock
	mu      sync.Mutex
	calls   []Call
	volleys int
}

// scheduled is one planned probe.
type scheduled struct {
	at      time.Time
	phase   Phase
	size    int  // 1 = a single call, more = a volley
	early   bool // skipped once the fingerprint is decided and a call served again
	late    bool // only while nothing has been served again
	confirm bool // only while undecided
}

func (r *run) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		r.cfg.Progress(fmt.Sprintf(format, args...))
	}
}

func (r *run) probe(ctx context.Context) error {
	first429, err := r.exhaust(ctx)
	if err != nil || first429 == nil {
		return err
	}
	r.one(ctx, PhaseModels, KindModels, 0)
	if r.cfg.Keys > 1 {
		r.volley(ctx, PhasePerKey, volleySize(r.cfg.Expect.N), 1)
	}
	return r.follow(ctx, r.schedule(*first429))
}

// exhaust waits out the quiet period, then sends the marker and the burst
// until the first 429, which it returns (nil: none came).
func (r *run) exhaust(ctx context.Context) (*Call, error) {
	lim := r.cfg.Expect
	if !r.cfg.SkipQuiet {
		r.progress("quiet period: %s with no calls, so every limiter starts full", lim.Window)
		if err := r.clock.Sleep(ctx, lim.Window); err != nil {
			return nil, err
		}
	}
	r.progress("burst: back to back until the first 429 (at most %d calls)", 2*lim.N+1)
	marker := r.one(ctx, PhaseMarker, KindChat, 0)
	if !marker.Accepted() {
		return nil, fmt.Errorf("the first call after the quiet period was not served (%s): check the key and base URL, or whether the key is in use elsewhere", describeStatus(marker))
	}
	if err := r.clock.Sleep(ctx, gap(lim)); err != nil {
		return nil, err
	}
	first429 := r.burst(ctx, burstConcurrency(marker.Latency, lim), 2*lim.N)
	if first429 == nil && ctx.Err() == nil {
		r.progress("no 429 within %d calls: the limit is above twice %d", 2*lim.N+1, lim.N)
	}
	return first429, ctx.Err()
}

// schedule plans the probes after the burst, by time.
func (r *run) schedule(first429 Call) []scheduled {
	lim := r.cfg.Expect
	w, k := lim.Window, volleySize(lim.N)
	b := burstOf(r.sorted())
	exhausted := first429.Received()
	// A bucket serves again one token after ~W/N: a single call then, and a
	// volley right after it if served (see follow).
	bucketAt := exhausted.Add(time.Duration(1.5 * float64(w) / float64(max(b.accepted, 1))))
	plan := []scheduled{{at: bucketAt, phase: PhaseRefill, size: 1, early: true}}
	firstScan := b.start
	if ra, ok := retryAfter(first429); ok && ra > 0 && ra <= 2*w {
		plan = append(plan,
			scheduled{at: exhausted.Add(ra / 2), phase: PhaseRetryHalf, size: 1},
			scheduled{at: exhausted.Add(ra), phase: PhaseRetry, size: 1})
		firstScan = exhausted.Add(ra)
	}
	// Spaced probes find a window's boundary, or a refill later than
	// Retry-After said (refused calls that count push it out); not needed once
	// a call is served again.
	for i := 1; i <= scanProbes; i++ {
		at := b.start.Add(w * time.Duration(i) / (scanProbes + 1))
		if at.Sub(bucketAt) > w/16 && at.After(firstScan) {
			plan = append(plan, scheduled{at: at, phase: PhaseRefill, size: 1, late: true})
		}
	}
	// Just after the marker is older than W, a sliding log has one slot
	// back, a window opened by the marker all of them.
	boundary := b.start.Add(w + gap(lim)/2)
	plan = append(plan, scheduled{at: boundary, phase: PhaseBoundary, size: k, early: true})
	// Once the whole burst is older than W, a sliding log serves a volley
	// whole, a bucket only its tokens: asked only if still undecided.
	if after := b.lastSent.Add(w + gap(lim)/2); after.After(boundary) {
		plan = append(plan, scheduled{at: after, phase: PhaseBoundary, size: k, early: true, confirm: true})
		boundary = after
	}
	for j := 0; j < fallbackProbes; j++ {
		plan = append(plan, scheduled{at: boundary.Add(gap(lim)/2 + w*time.Duration(j)/8), phase: PhaseRefill, size: 1, early: true, late: true})
	}
	sort.SliceStable(plan, func(i, j int) bool { return plan[i].at.Before(plan[j].at) })
	r.progress("refill probes: Retry-After, refill and window-boundary probes over the next %s", boundary.Add(w).Sub(r.clock.Now()).Round(time.Millisecond))
	return plan
}

// follow sends the planned probes, skipping what the fingerprint no longer
// needs, with a follow-up volley after the first call served again.
func (r *run) follow(ctx context.Context, plan []scheduled) error {
	n, k := r.cfg.Expect.N, volleySize(r.cfg.Expect.N)
	readmitted, discriminated := false, false
	for _, p := range plan {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fp := r.fingerprint()
		if readmitted && !discriminated && fp.has(FixedWindow) && fp.has(TokenBucket) {
			// A window reset admits a whole window at once, a bucket only
			// the tokens it has: a volley just larger than those tells them apart.
			discriminated = true
			if size := int(math.Ceil(fp.bucketLevel(r.clock.Now()))) + 2; size <= max(k, n/4) {
				r.progress("fixed window or token bucket: a volley of %d tells them apart", size)
				r.volley(ctx, PhaseFollowUp, size, 0)
				fp = r.fingerprint()
			}
		}
		decided := len(fp.Candidates) == 1
		if (p.early && decided && readmitted) || (p.late && readmitted) || (p.confirm && decided) {
			continue
		}
		if err := r.clock.Sleep(ctx, p.at.Sub(r.clock.Now())); err != nil {
			return err
		}
		got := []Call{}
		if p.size == 1 {
			got = append(got, r.one(ctx, p.phase, KindChat, 0))
		} else {
			got = r.volley(ctx, p.phase, p.size, 0)
		}
		admitted := len(filter(got, Call.Accepted)) > 0
		if admitted && !readmitted && p.size == 1 {
			// One call served says a slot came back; a volley right after says
			// whether one token came back or a whole window.
			r.volley(ctx, PhaseFollowUp, k, 0)
		}
		readmitted = readmitted || admitted
	}
	return nil
}

// fingerprint is the fingerprint of the calls so far.
func (r *run) fingerprint() Fingerprint {
	calls := r.sorted()
	b := burstOf(calls)
	return fingerprint(calls, r.cfg, b.accepted, b.end.Sub(b.start))
}

// burstStats is what the marker and the burst did.
type burstStats struct {
	calls, accepted int
	start, end      time.Time // the marker sent, the last answer back
	lastSent        time.Time
}

func burstOf(calls []Call) burstStats {
	var b burstStats
	for _, c := range calls {
		if c.Key != 0 || c.Kind != KindChat || c.Phase != PhaseMarker && c.Phase != PhaseBurst {
			continue
		}
		if b.start.IsZero() {
			b.start = c.Sent
		}
		b.calls++
		if c.Accepted() {
			b.accepted++
		}
		b.end = maxTime(b.end, c.Received())
		b.lastSent = maxTime(b.lastSent, c.Sent)
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// burstConcurrency keeps the burst within about W/20 given the marker's
// latency, so a token bucket refills little while it runs.
func burstConcurrency(latency time.Duration, lim interface{ Interval() time.Duration }) int {
	target := lim.Interval() * 5 / 2 // (W/N)·N/20 per call in flight, rounded generously
	if target <= 0 {
		return 1
	}
	return max(1, min(MaxConcurrency, int(latency/target)+1))
}

// burst sends chat calls with up to conc in flight until a 429 comes back or
// limit calls have been sent; it returns the first 429 (by when it came back).
func (r *run) burst(ctx context.Context, conc, limit int) *Call {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		first  *Call
		slots  = make(chan struct{}, conc)
		refuse = make(chan struct{})
		once   sync.Once
	)
loop:
	for i := 0; i < limit; i++ {
		select {
		case slots <- struct{}{}:
		case <-refuse:
			break loop
		case <-ctx.Done():
			break loop
		}
		select {
		case <-refuse:
			<-slots
			break loop
		default:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			c := r.one(ctx, PhaseBurst, KindChat, 0)
			if c.Refused() {
				mu.Lock()
				if first == nil || c.Received().Before(first.Received()) {
					cc := c
					first = &cc
				}
				mu.Unlock()
				once.Do(func() { close(refuse) })
			}
		}()
	}
	wg.Wait()
	return first
}

// one makes a single call and records it.
func (r *run) one(ctx context.Context, phase Phase, kind Kind, key int) Call {
	if ctx.Err() != nil { // stopped: a call not sent is not spent
		return Call{}
	}
	return r.record(r.caller.Call(ctx, kind, key), phase, 0)
}

// volley sends size calls at once and records them with a shared volley id.
func (r *run) volley(ctx context.Context, phase Phase, size, key int) []Call {
	r.mu.Lock()
	r.volleys++
	id := r.volleys
	r.mu.Unlock()
	out := make([]Call, size)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ctx.Err() == nil {
				out[i] = r.record(r.caller.Call(ctx, KindChat, key), phase, id)
			}
		}()
	}
	wg.Wait()
	return out
}

func (r *run) record(c Call, phase Phase, volley int) Call {
	c.Phase, c.Volley = phase, volley
	r.mu.Lock()
	defer r.mu.Unlock()
	c.Seq = len(r.calls) + 1
	r.calls = append(r.calls, c)
	return c
}

// sorted is the call log by send time, numbered in that order.
func (r *run) sorted() []Call {
	r.mu.Lock()
	out := append([]Call(nil), r.calls...)
	r.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Sent.Before(out[j].Sent) })
	for i := range out {
		out[i].Seq = i + 1
	}
	return out
}

func describeStatus(c Call) string {
	if c.Error != "" {
		return c.Error
	}
	return fmt.Sprintf("HTTP %d", c.Status)
}
