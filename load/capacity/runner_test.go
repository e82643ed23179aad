package capacity

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
)

func startServer(t *testing.T, opts ...fixtures.Option) *fixtures.Server {
	t.Helper()
	srv, err := fixtures.Start(append([]fixtures.Option{fixtures.WithRateLimit(target.Limit{})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func chatPlan(srv *fixtures.Server) load.Plan {
	return load.Plan{Root: srv.Root(), Path: "chat", Keys: []string{srv.Keys().Valid}, Timeout: 10 * time.Second,
		Bodies: load.ChatBodies([][]target.Message{load.Prompt("Say hi.")}, 8)}
}

// The acceptance property at a test's scale: a concurrency cap of 8 and
// 100 ms per call imply 80 calls/s; one-second steps find it within 10%.
//
// It is a real-time claim (the server sleeps, load.Run paces on the wall
// clock), so a stalled machine moves it: stalls lengthen calls and hold up
// answers, and steps under capacity then miss. A watcher measures the
// stalls during the search; past stallBudget the claims that need an
// unstalled machine are logged, not asserted, while those that hold under
// any scheduling (no more served than the server can; every call in the
// output; calls no faster than the service time) always are. The search
// itself is proved deterministically on a queue model (search_test.go).
func TestRunnerFindsTheCapacityOfAQueueingServer(t *testing.T) {
	const slots, service = 8, 100 * time.Millisecond
	implied := float64(slots) / service.Seconds()
	srv := startServer(t, fixtures.WithConcurrency(slots), fixtures.WithLatency(fixtures.Latency{Base: service}))
	cfg := Config{Start: 20, Max: 160, Precision: 0.05, StepDuration: time.Second, Warmup: 200 * time.Millisecond,
		SLO: mustSLO(t, "p95<200ms,success>=99%")}
	var out bytes.Buffer
	r := &Runner{Plan: chatPlan(srv), Duration: cfg.StepDuration, Warmup: cfg.Warmup, Pause: 100 * time.Millisecond,
		Sinks: []load.Sink{load.BinaryOutput(&out)}}
	stalled := watchStalls(t)
	res, err := Search(context.Background(), cfg, r.Step)
	if err != nil {
		t.Fatal(err)
	}
	stall := stalled()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Steps {
		t.Logf("step %d: %v offered, %.1f/s achieved, p50 %v p95 %v, late %d, met %v %q", s.Index, s.Rate, s.Achieved,
			s.Measured.SuccessLatencies.P50, s.Measured.SuccessLatencies.P95, s.Late, s.Met, s.Reasons)
	}
	// Under any scheduling: no step proves a rate the server cannot serve,
	// no call is faster than the service time, every call is recorded.
	if res.Best != nil && float64(res.Best.Rate) > 1.1*implied {
		t.Errorf("capacity %v, beyond the %.0f/s the server can", res.Best.Rate, implied)
	}
	first := res.Steps[0]
	if first.RateLimited != 0 || first.Measured.Failures != 0 || first.Measured.SuccessLatencies.Min < service {
		t.Errorf("first step at %v: %+v", first.Rate, first)
	}
	// Every call of every step went to the shared output.
	dec := vegeta.NewDecoder(&out)
	var n uint64
	for {
		var r vegeta.Result
		if dec.Decode(&r) != nil {
			break
		}
		n++
	}
	if n != res.Calls {
		t.Errorf("output holds %d results, the search made %d calls", n, res.Calls)
	}
	t.Logf("stalls up to %s", stall)
	if stall > stallBudget {
		t.Logf("the machine stalled over %s: the capacity and knee found are not judged", stallBudget)
		return
	}
	if res.Best == nil {
		t.Fatalf("no rate met the SLO; stop %q", res.Stop)
	}
	if got := float64(res.Best.Rate); got < 0.9*implied {
		t.Errorf("capacity %.1f/s, want %.0f/s within 10%%", got, implied)
	}
	// The step that proved it served no more than the server can (answers
	// held up by a stall could bunch into its measured part).
	if served := res.Best.Achieved; served > 1.02*implied {
		t.Errorf("the answer's step served %.1f/s, beyond the %.0f/s the server can", served, implied)
	}
	if !res.Knee.Found || float64(res.Knee.Rate) < 0.9*implied {
		t.Errorf("knee %+v, want one at or above about %.0f/s", res.Knee, implied)
	}
	// The first step is well under capacity: every call served at the
	// service time, at the offered rate.
	if first.Achieved < 0.9*float64(first.Rate) || first.Measured.SuccessLatencies.P50 > 2*service {
		t.Errorf("first step at %v: %+v", first.Rate, first)
	}
}

// stallBudget is the longest scheduling stall under which the runner's
// real-time claims are judged: a fifth of the SLO's margin over the
// service time.
const stallBudget = 20 * time.Millisecond

// watchStalls measures how late a 5 ms ticker fires until the returned
// function is called, which gives the worst lateness seen.
func watchStalls(t *testing.T) func() time.Duration {
	const every = 5 * time.Millisecond
	done, worst := make(chan struct{}), make(chan time.Duration)
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		var most time.Duration
		last := time.Now()
		for {
			select {
			case now := <-tick.C:
				// A ticker drops ticks it could not deliver: the gap since the
				// last one received, less one period, is the stall.
				most, last = max(most, now.Sub(last)-every), now
			case <-done:
				worst <- most
				return
			}
		}
	}()
	var once sync.Once
	var got time.Duration
	stop := func() time.Duration {
		once.Do(func() { close(done); got = <-worst })
		return got
	}
	t.Cleanup(func() { stop() })
	return stop
}

// A step where 429s dominate is flagged: it says nothing of capacity.
func TestRunnerFlagsRateLimitedSteps(t *testing.T) {
	srv := startServer(t, fixtures.WithRateLimit(target.Limit{N: 2, Window: time.Minute}))
	cfg := Config{Start: 20, Max: 20, Precision: 0.05, StepDuration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond,
		SLO: mustSLO(t, "success>=99%")}
	r := &Runner{Plan: chatPlan(srv), Duration: cfg.StepDuration, Warmup: cfg.Warmup}
	res, err := Search(context.Background(), cfg, r.Step)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Steps[0]
	if res.Stop != StopLowestMissed || !s.RateLimitDominated() || s.Met || !res.RateLimited() {
		t.Errorf("stop %q, 429 share %.2f, met %v, reasons %q", res.Stop, s.RateLimitedShare(), s.Met, s.Reasons)
	}
	if s.Measured.RateLimited != 0 || s.RateLimited == 0 {
		t.Errorf("429s must be counted apart from the judged calls: measured %d, apart %d", s.Measured.RateLimited, s.RateLimited)
	}
}

// Cancelling stops the step under way; the search keeps the best so far.
// The cancel comes with the second step's third answer, not after a
// wall-clock delay, so it falls inside that step however slow the machine.
func TestRunnerInterrupted(t *testing.T) {
	srv := startServer(t)
	cfg := Config{Start: 20, Max: 160, Precision: 0.05, StepDuration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond,
		SLO: mustSLO(t, "p95<1s")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var second bool
	var answers int
	cancelInSecond := load.SinkFunc(func(*load.Hit) error {
		if answers++; second && answers == 3 {
			cancel()
		}
		return nil
	})
	r := &Runner{Plan: chatPlan(srv), Duration: cfg.StepDuration, Warmup: cfg.Warmup, Pause: 50 * time.Millisecond,
		Sinks: []load.Sink{cancelInSecond}}
	res, err := Search(ctx, cfg, func(ctx context.Context, rate load.Rate) (*Step, error) {
		second, answers = rate > cfg.Start, 0
		return r.Step(ctx, rate)
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopInterrupted || len(res.Steps) != 2 || !res.Steps[1].Interrupted || res.Steps[1].Met || res.Best != res.Steps[0] {
		t.Errorf("stop %q, %d steps, best %v", res.Stop, len(res.Steps), res.Best)
	}
	// Cut short: fewer slots than the step's (vegeta may send one more after
	// the stop, a loaded machine a few).
	if cut, full := res.Steps[1].Slots, uint64(StepCalls(res.Steps[1].Rate, cfg.StepDuration)); len(res.Steps) == 2 && cut >= full {
		t.Errorf("the interrupted step offered %d slots, all %d of it: it was not cut short", cut, full)
	}
}
