package capacity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// StepFunc holds rate for one step and returns what it measured (the search
// judges it). A nil step with an error stops the search; a step with an
// error (an output that failed) is kept, and the search stops after it.
type StepFunc func(ctx context.Context, rate load.Rate) (*Step, error)

// Stop is why a search ended.
type Stop string

const (
	StopPrecision    Stop = "bisected to the precision"
	StopMaxRate      Stop = "reached the max rate with the SLO met"
	StopLowestMissed Stop = "the lowest rate missed the SLO"
	StopInterrupted  Stop = "interrupted"
	StopNotJudged    Stop = "a step sent no call after its warm-up, so it could not be judged"
	StopCostCap      Stop = "the next step could exceed the cost caps"
	StopError        Stop = "a step failed"
)

// Result is a search: every step in the order run, and the answer.
type Result struct {
	Config Config
	Steps  []*Step
	// Best is the highest rate that met the SLO: the answer, and the step
	// that proved it. Nil when no step met it.
	Best *Step
	// Ceiling is the lowest rate that missed the SLO (nil: none missed).
	Ceiling *Step
	Knee    Knee
	Stop    Stop
	// Spent is what every step together sent and spent.
	Calls             uint64
	Tokens            int64
	Started, Finished time.Time
}

// RateLimited tells whether any step was dominated by 429s.
func (r *Result) RateLimited() bool {
	for _, s := range r.Steps {
		if s.RateLimitDominated() {
			return true
		}
	}
	return false
}

// Option configures a search.
type Option func(*searchConfig)

type searchConfig struct {
	stepDone func(*Step)
}

// WithStepDone calls f with each step once it is judged (a progress line).
func WithStepDone(f func(*Step)) Option { return func(c *searchConfig) { c.stepDone = f } }

// searcher is the search's state: which rate to try next, given the
// outcomes so far. A value type, so WorstCase can branch it.
type searcher struct {
	start, max  load.Rate
	precision   float64
	met, missed load.Rate // 0: none yet
}

func newSearcher(c *Config) searcher {
	return searcher{start: c.Start, max: c.Max, precision: c.Precision}
}

// next is the rate to try, or the reason to stop: double from the start
// until a rate misses (or the max is met), then bisect between the last that
// met and the first that missed.
func (s *searcher) next() (load.Rate, Stop) {
	switch {
	case s.missed == 0 && s.met == 0:
		return s.start, ""
	case s.missed == 0 && s.met >= s.max:
		return 0, StopMaxRate
	case s.missed == 0:
		return min(2*s.met, s.max), ""
	case s.met == 0:
		return 0, StopLowestMissed
	case float64(s.missed-s.met) <= s.precision*float64(s.met):
		return 0, StopPrecision
	}
	return (s.met + s.missed) / 2, ""
}

func (s *searcher) record(rate load.Rate, met bool) {
	switch {
	case met && rate > s.met:
		s.met = rate
	case !met && (s.missed == 0 || rate < s.missed):
		s.missed = rate
	}
}

// Search runs steps chosen by the doubling and bisection until the answer is
// within the precision, the max rate is met, the lowest rate misses, the cost
// caps would be passed, a step cannot be judged, or ctx is cancelled (the
// answer is then the best so far). The error is a step's.
func Search(ctx context.Context, cfg Config, step StepFunc, opts ...Option) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var sc searchConfig
	for _, o := range opts {
		o(&sc)
	}
	res := &Result{Config: cfg, Started: time.Now()}
	defer func() {
		res.Knee = FindKnee(res.Steps)
		res.Finished = time.Now()
	}()
	s := newSearcher(&cfg)
	for {
		rate, stop := s.next()
		if stop != "" {
			res.Stop = stop
			return res, nil
		}
		if ctx.Err() != nil {
			res.Stop = StopInterrupted
			return res, nil
		}
		if !cfg.affordable(rate, res.Calls, res.Tokens) {
			res.Stop = StopCostCap
			return res, nil
		}
		st, err := step(ctx, rate)
		if st == nil {
			res.Stop = StopError
			return res, err
		}
		st.Index = len(res.Steps) + 1
		st.judge(cfg.SLO)
		res.Steps = append(res.Steps, st)
		res.Calls += st.Calls
		res.Tokens += st.Tokens
		if sc.stepDone != nil {
			sc.stepDone(st)
		}
		switch {
		case st.Interrupted:
			res.Stop = StopInterrupted
			return res, err
		case !st.Judged:
			// Neither met nor missed: the search cannot tell which way to go.
			res.Stop = StopNotJudged
			return res, err
		case st.Met && (res.Best == nil || st.Rate > res.Best.Rate):
			res.Best = st
		case !st.Met && (res.Ceiling == nil || st.Rate < res.Ceiling.Rate):
			res.Ceiling = st
		}
		s.record(rate, st.Met)
		if err != nil {
			res.Stop = StopError
			return res, err
		}
	}
}

// StepCalls is how many calls a step at rate offers over d (0 when d is 0).
func StepCalls(rate load.Rate, d time.Duration) int64 {
	p, err := load.Constant(rate, d)
	if err != nil {
		return 0
	}
	n, _ := p.Calls()
	return n
}

// affordable tells whether a step at rate keeps the spending within the caps.
func (c *Config) affordable(rate load.Rate, calls uint64, tokens int64) bool {
	n := StepCalls(rate, c.StepDuration)
	if c.MaxCalls > 0 && int64(calls)+n > c.MaxCalls {
		return false
	}
	return c.MaxTokens <= 0 || tokens+n*c.TokensPerCall <= c.MaxTokens
}

// Estimate is a search's worst case, stated before it starts.
type Estimate struct {
	Steps  int   // the most steps any sequence of outcomes runs
	Calls  int64 // the most calls
	Tokens int64 // Calls × TokensPerCall
	// Duration is Steps × the step duration (pauses between steps left out).
	Duration time.Duration
}

// WorstCase follows the search down every possible sequence of step outcomes
// (there are at most a few thousand) and returns the costliest.
func WorstCase(cfg Config) (Estimate, error) {
	if err := cfg.Validate(); err != nil {
		return Estimate{}, err
	}
	var e Estimate
	var walk func(s searcher, steps int, calls int64)
	walk = func(s searcher, steps int, calls int64) {
		rate, stop := s.next()
		if stop != "" {
			e.Steps, e.Calls = max(e.Steps, steps), max(e.Calls, calls)
			return
		}
		n := StepCalls(rate, cfg.StepDuration)
		for _, met := range []bool{true, false} {
			branch := s
			branch.record(rate, met)
			walk(branch, steps+1, calls+n)
		}
	}
	walk(newSearcher(&cfg), 0, 0)
	e.Tokens = e.Calls * cfg.TokensPerCall
	e.Duration = time.Duration(e.Steps) * cfg.StepDuration
	if e.Calls < 0 || e.Calls == math.MaxInt64 || e.Tokens < 0 {
		return e, fmt.Errorf("the search's worst case overflows")
	}
	return e, nil
}
