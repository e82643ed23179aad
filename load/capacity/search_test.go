package capacity

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// queueModel is a target with a fixed capacity and service time: below
// capacity every call takes the service time and all are served; above it
// the queue grows through the step, so latency climbs and only the capacity
// is served.
type queueModel struct {
	capacity load.Rate
	service  time.Duration
	step     time.Duration
	tokens   int64 // per call
	tried    []load.Rate
}

func (q *queueModel) run(_ context.Context, rate load.Rate) (*Step, error) {
	q.tried = append(q.tried, rate)
	calls := uint64(math.Ceil(float64(rate) * q.step.Seconds()))
	served, wait := float64(rate), time.Duration(0)
	if rate > q.capacity {
		served = float64(q.capacity)
		// The backlog at the step's end, in service times.
		backlog := (float64(rate) - served) * q.step.Seconds()
		wait = time.Duration(backlog / float64(q.capacity) * float64(time.Second))
	}
	lat := load.Latencies{Count: calls, P50: q.service + wait/2, P95: q.service + wait*95/100, P99: q.service + wait*99/100}
	return &Step{Rate: rate, Duration: q.step, Calls: calls, Slots: calls, Tokens: int64(calls) * q.tokens,
		Measured:       load.Summary{Requests: calls, Successes: calls, SuccessLatencies: lat},
		Achieved:       served,
		AchievedWindow: q.step,
	}, nil
}

func mustSLO(t *testing.T, s string) SLO {
	t.Helper()
	slo, err := ParseSLO(s)
	if err != nil {
		t.Fatal(err)
	}
	return slo
}

func modelConfig(t *testing.T) Config {
	return Config{Start: 1, Max: 1000, Precision: 0.05, StepDuration: 10 * time.Second, SLO: mustSLO(t, "p95<1s,success>=99%")}
}

// The search doubles from the start until a rate misses, then only tries
// rates between the best that met and the lowest that missed, and ends with
// the two within the precision. Above capacity the model's latency climbs
// slowly, so the served-rate rule decides: the answer is at most what
// ServedRule lets a step fall short of capacity by.
func TestSearchDoublesThenBisects(t *testing.T) {
	for _, capacity := range []load.Rate{80, 3.3, 417, 1.02} {
		q := &queueModel{capacity: capacity, service: 100 * time.Millisecond, step: 10 * time.Second}
		cfg := modelConfig(t)
		res, err := Search(context.Background(), cfg, q.run)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stop != StopPrecision || res.Best == nil || res.Ceiling == nil {
			t.Fatalf("capacity %v: stop %q, best %v, ceiling %v", capacity, res.Stop, res.Best, res.Ceiling)
		}
		i := 0
		for ; i < len(res.Steps) && res.Steps[i].Met; i++ {
			if want := cfg.Start * load.Rate(math.Pow(2, float64(i))); q.tried[i] != want {
				t.Fatalf("capacity %v: step %d tried %v, want %v (doubling)", capacity, i+1, q.tried[i], want)
			}
		}
		lo, hi := q.tried[i-1], q.tried[i]
		if hi != 2*lo {
			t.Fatalf("capacity %v: the first miss %v is not double the last met %v", capacity, hi, lo)
		}
		for _, st := range res.Steps[i+1:] {
			r := st.Rate
			if r <= lo || r >= hi {
				t.Fatalf("capacity %v: bisection tried %v outside (%v, %v); tried %v", capacity, r, lo, hi, q.tried)
			}
			if st.Met {
				lo = r
			} else {
				hi = r
			}
		}
		if res.Best.Rate != lo || res.Ceiling.Rate != hi || float64(hi-lo) > cfg.Precision*float64(lo) {
			t.Errorf("capacity %v: answer %v, ceiling %v; want %v and %v within 5%%", capacity, res.Best.Rate, res.Ceiling.Rate, lo, hi)
		}
		// The most a met step may exceed capacity by: the share, or the
		// slack in calls over the 10 s step.
		most := max(float64(capacity)/(1-MaxShortfallShare), float64(capacity)+ShortfallSlackCalls/q.step.Seconds())
		if float64(res.Best.Rate) > most || res.Ceiling.Rate <= capacity {
			t.Errorf("capacity %v: answer %v, ceiling %v; want the answer at most %.3f, the ceiling above capacity",
				capacity, res.Best.Rate, res.Ceiling.Rate, most)
		}
		if !res.Knee.Found || res.Knee.Rate <= capacity || res.Knee.Below > capacity {
			t.Errorf("capacity %v: knee %+v, want the first rate tried above capacity", capacity, res.Knee)
		}
	}
}

func TestSearchStopsAtMaxRate(t *testing.T) {
	q := &queueModel{capacity: 1e6, service: 10 * time.Millisecond, step: time.Second}
	cfg := modelConfig(t)
	cfg.Start, cfg.Max = 3, 50
	res, err := Search(context.Background(), cfg, q.run)
	if err != nil {
		t.Fatal(err)
	}
	last := q.tried[len(q.tried)-1]
	if res.Stop != StopMaxRate || last != cfg.Max || res.Best.Rate != cfg.Max || res.Ceiling != nil || res.Knee.Found {
		t.Errorf("stop %q, tried %v, best %v, knee %+v", res.Stop, q.tried, res.Best.Rate, res.Knee)
	}
	for _, r := range q.tried {
		if r > cfg.Max {
			t.Errorf("tried %v, beyond the max %v", r, cfg.Max)
		}
	}
}

func TestSearchLowestRateMisses(t *testing.T) {
	q := &queueModel{capacity: 0.5, service: 10 * time.Millisecond, step: 10 * time.Second}
	res, err := Search(context.Background(), modelConfig(t), q.run)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopLowestMissed || res.Best != nil || len(q.tried) != 1 {
		t.Errorf("stop %q, best %v, tried %v", res.Stop, res.Best, q.tried)
	}
	if !strings.Contains(strings.Join(res.Steps[0].Reasons, "; "), "did not keep up") {
		t.Errorf("reasons %q, want the shortfall of the achieved rate", res.Steps[0].Reasons)
	}
}

func TestSearchInterruptedKeepsBestSoFar(t *testing.T) {
	q := &queueModel{capacity: 100, service: 10 * time.Millisecond, step: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	step := func(ctx context.Context, r load.Rate) (*Step, error) {
		s, err := q.run(ctx, r)
		if len(q.tried) == 4 {
			cancel()
			s.Interrupted = true
		}
		return s, err
	}
	res, err := Search(ctx, modelConfig(t), step)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopInterrupted || len(res.Steps) != 4 || res.Best != res.Steps[2] || res.Steps[3].Met {
		t.Errorf("stop %q, %d steps, best %+v", res.Stop, len(res.Steps), res.Best)
	}
}

func TestSearchStopsBeforeTheCostCap(t *testing.T) {
	q := &queueModel{capacity: 100, service: 10 * time.Millisecond, step: time.Second, tokens: 10}
	cfg := modelConfig(t)
	cfg.Start, cfg.StepDuration = 5, time.Second
	cfg.MaxCalls = 40 // 5+10+20 fit, 40 more would not
	res, err := Search(context.Background(), cfg, q.run)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopCostCap || res.Calls > 40 || res.Best.Rate != 20 {
		t.Errorf("stop %q after %d calls, best %v", res.Stop, res.Calls, res.Best.Rate)
	}
	cfg.MaxCalls, cfg.MaxTokens, cfg.TokensPerCall = 0, 200, 10 // 5+10 calls fit
	q.tried = nil
	res, _ = Search(context.Background(), cfg, q.run)
	if res.Stop != StopCostCap || res.Best.Rate != 10 {
		t.Errorf("token cap: stop %q, best %v", res.Stop, res.Best.Rate)
	}
}

// WorstCase is the costliest search over every outcome: no target spends
// more, and some target spends exactly that.
func TestWorstCaseBoundsEverySearch(t *testing.T) {
	cfg := modelConfig(t)
	cfg.Start, cfg.Max, cfg.StepDuration, cfg.TokensPerCall = 1, 100, 5*time.Second, 7
	e, err := WorstCase(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var most int64
	for c := 0.5; c < 250; c *= 1.002 {
		q := &queueModel{capacity: load.Rate(c), service: time.Millisecond, step: cfg.StepDuration}
		res, err := Search(context.Background(), cfg, q.run)
		if err != nil {
			t.Fatal(err)
		}
		if int64(res.Calls) > e.Calls || len(res.Steps) > e.Steps {
			t.Fatalf("capacity %.3f: %d calls in %d steps, beyond the worst case %+v", c, res.Calls, len(res.Steps), e)
		}
		most = max(most, int64(res.Calls))
	}
	if most != e.Calls || e.Tokens != 7*e.Calls || e.Duration != time.Duration(e.Steps)*cfg.StepDuration {
		t.Errorf("costliest search %d calls; worst case %+v", most, e)
	}
}

func TestJudge(t *testing.T) {
	slo := mustSLO(t, "p95<1s,success>=99%")
	base := func() *Step {
		return &Step{Rate: 100, Slots: 1000, AchievedWindow: 8 * time.Second, Achieved: 100,
			Measured: load.Summary{Requests: 800, Successes: 800,
				SuccessLatencies: load.Latencies{Count: 800, P50: 100 * time.Millisecond, P95: 200 * time.Millisecond}}}
	}
	cases := []struct {
		name   string
		change func(*Step)
		met    bool
		reason string
	}{
		{"meets", func(*Step) {}, true, ""},
		{"slow", func(s *Step) { s.Measured.SuccessLatencies.P95 = 2 * time.Second }, false, "p95<1s"},
		{"failures", func(s *Step) { s.Measured.Successes = 700 }, false, "success>=99%"},
		{"served short", func(s *Step) { s.Achieved = 90 }, false, "did not keep up"},
		// 800 calls expected: 3% of them, 24 calls, may be missing.
		{"served 24 short: at the limit", func(s *Step) { s.Achieved = 97 }, true, ""},
		{"served just over 24 short", func(s *Step) { s.Achieved = 96.99 }, false, "did not keep up"},
		// The audit's case: 131.2 calls expected over 1.6 s, 3.94 may be missing.
		{"82/s served 79.49/s", func(s *Step) { s.Rate, s.Achieved, s.AchievedWindow = 82, 79.49, 1600*time.Millisecond }, false, "did not keep up"},
		{"82/s served 79.6/s", func(s *Step) { s.Rate, s.Achieved, s.AchievedWindow = 82, 79.6, 1600*time.Millisecond }, true, ""},
		// 8 calls expected: the 1.5-call slack decides.
		{"one call short at a low rate", func(s *Step) { s.Rate, s.Achieved = 1, 7.0/8 }, true, ""},
		{"1.5 calls short at a low rate", func(s *Step) { s.Rate, s.Achieved = 1, 6.5/8 }, true, ""},
		{"two calls short at a low rate", func(s *Step) { s.Rate, s.Achieved = 1, 6.0/8 }, false, "did not keep up"},
		{"missed slots", func(s *Step) { s.Missed = 20 }, false, "slots missed"},
		{"late sends alone", func(s *Step) { s.Late = 20 }, true, ""},
		{"short with late sends: the tool's machine", func(s *Step) { s.Achieved, s.Late = 90, 20 }, false, "the machine running the tool may have fallen behind"},
		{"429s dominate", func(s *Step) { s.RateLimited = 300; s.Achieved = 72 }, false, "rate-limited"},
		{"few 429s accounted apart", func(s *Step) { s.RateLimited = 80; s.Achieved = 91 }, true, ""},
		{"few 429s and short", func(s *Step) { s.RateLimited = 80; s.Achieved = 85 }, false, "did not keep up"},
		{"no answer", func(s *Step) { s.AchievedWindow, s.Achieved = 0, 0 }, false, "no successful answer"},
		{"interrupted", func(s *Step) { s.Interrupted = true }, false, "interrupted"},
		{"no call measured", func(s *Step) { s.Measured, s.AchievedWindow, s.Achieved = load.Summary{}, 0, 0 }, false, "nothing to judge"},
		{"only 429s measured", func(s *Step) {
			s.Measured, s.RateLimited, s.AchievedWindow, s.Achieved = load.Summary{}, 800, 0, 0
		}, false, "rate-limited"},
	}
	for _, c := range cases {
		s := base()
		c.change(s)
		s.judge(slo)
		if s.Met != c.met || (c.reason != "" && !strings.Contains(strings.Join(s.Reasons, "; "), c.reason)) {
			t.Errorf("%s: met %v, reasons %q; want met %v with %q", c.name, s.Met, s.Reasons, c.met, c.reason)
		}
		// Judged unless interrupted or nothing was sent after the warm-up.
		if want := !s.Interrupted && (s.Measured.Requests > 0 || s.RateLimited > 0); s.Judged != want {
			t.Errorf("%s: judged %v, want %v", c.name, s.Judged, want)
		}
	}
}

// A step that sent nothing after its warm-up is neither met nor missed: the
// search stops there, keeps the best so far, and never reads it as a miss.
func TestSearchStopsOnAStepNotJudged(t *testing.T) {
	q := &queueModel{capacity: 100, service: 10 * time.Millisecond, step: 10 * time.Second}
	for _, emptyAt := range []int{1, 3} {
		q.tried = nil
		step := func(ctx context.Context, r load.Rate) (*Step, error) {
			s, err := q.run(ctx, r)
			if len(q.tried) == emptyAt {
				s.Measured, s.Achieved, s.AchievedWindow = load.Summary{}, 0, 0
			}
			return s, err
		}
		res, err := Search(context.Background(), modelConfig(t), step)
		if err != nil {
			t.Fatal(err)
		}
		last := res.Steps[len(res.Steps)-1]
		if res.Stop != StopNotJudged || len(res.Steps) != emptyAt || last.Judged || last.Met || res.Ceiling != nil {
			t.Errorf("empty step %d: stop %q, %d steps, ceiling %v", emptyAt, res.Stop, len(res.Steps), res.Ceiling)
		}
		if (emptyAt == 1) != (res.Best == nil) || (res.Best != nil && res.Best.Rate != 2) {
			t.Errorf("empty step %d: best %v, want the last step before it", emptyAt, res.Best)
		}
	}
}

// A configuration whose first step cannot send MinMeasuredCalls calls after
// its warm-up is refused before anything is sent.
func TestValidateRefusesStepsTooShortToJudge(t *testing.T) {
	for _, c := range []struct {
		start        load.Rate
		step, warmup time.Duration
		measured     int64
		ok           bool
	}{
		{1, time.Second, 200 * time.Millisecond, 0, false}, // the audit's case: the one call falls in the warm-up
		{1, 10 * time.Second, 2 * time.Second, 8, true},    // the defaults
		{5, time.Second, 0, 5, true},                       // exactly the minimum
		{5, time.Second, 200 * time.Millisecond, 4, false},
		{4, 2 * time.Second, 400 * time.Millisecond, 6, true}, // the embedded demo
	} {
		cfg := modelConfig(t)
		cfg.Start, cfg.StepDuration, cfg.Warmup = c.start, c.step, c.warmup
		if got := MeasuredCalls(c.start, c.step, c.warmup); got != c.measured {
			t.Errorf("%v for %v after %v: %d calls measured, want %d", c.start, c.step, c.warmup, got, c.measured)
		}
		err := cfg.Validate()
		if (err == nil) != c.ok || (err != nil && !strings.Contains(err.Error(), "raise --step-duration or --start-rate")) {
			t.Errorf("%v for %v after %v: %v", c.start, c.step, c.warmup, err)
		}
	}
}

func TestKneeRule(t *testing.T) {
	step := func(rate load.Rate, p50 time.Duration) *Step {
		return &Step{Rate: rate, Measured: load.Summary{SuccessLatencies: load.Latencies{Count: 10, P50: p50}}}
	}
	// Run out of rate order, as bisection does; the empty step is ignored.
	steps := []*Step{step(1, 100*time.Millisecond), step(8, 140*time.Millisecond), step(4, 120*time.Millisecond),
		step(16, 400*time.Millisecond), step(12, 151*time.Millisecond), {Rate: 2}}
	k := FindKnee(steps)
	if !k.Found || k.Rate != 12 || k.Below != 8 || k.Baseline != 100*time.Millisecond || k.P50 != 151*time.Millisecond {
		t.Errorf("knee %+v, want 12/s (the first median beyond 150ms), above 8/s", k)
	}
	if k := FindKnee(steps[:3]); k.Found || k.Highest != 8 {
		t.Errorf("no knee expected below 1.5×: %+v", k)
	}
}

func TestParsing(t *testing.T) {
	if _, err := ParseSLO("p95<3s,latency<1s"); err == nil || !strings.Contains(err.Error(), "unknown metric") {
		t.Errorf("unknown metric: %v", err)
	}
	if _, err := ParseSLO(" , "); err == nil {
		t.Error("an empty SLO parsed")
	}
	if slo, err := ParseSLO("p95<3s, success>=99%"); err != nil || len(slo.Thresholds) != 2 || slo.String() != "p95<3s,success>=99%" {
		t.Errorf("SLO %v, %v", slo, err)
	}
	for in, want := range map[string]time.Duration{"20%": 2 * time.Second, "1.5s": 1500 * time.Millisecond, "0": 0} {
		w, err := ParseWarmup(in)
		if err != nil || w.Of(10*time.Second) != want {
			t.Errorf("warm-up %q: %v of 10s, %v; want %v", in, w.Of(10*time.Second), err, want)
		}
	}
	for _, bad := range []string{"100%", "-1s", "x"} {
		if _, err := ParseWarmup(bad); err == nil {
			t.Errorf("warm-up %q parsed", bad)
		}
	}
	if p, err := ParsePrecision("5%"); err != nil || p != 0.05 {
		t.Errorf("precision 5%%: %v %v", p, err)
	}
	for _, bad := range []string{"5", "0%", "0.01%", "101%"} {
		if _, err := ParsePrecision(bad); err == nil {
			t.Errorf("precision %q parsed", bad)
		}
	}
	cfg := Config{Start: 1, Max: 10, Precision: 0.05, StepDuration: time.Second, Warmup: time.Second, SLO: mustSLO(t, "p95<1s")}
	if err := cfg.Validate(); err == nil {
		t.Error("a warm-up as long as the step validated")
	}
}
