package capacity

import (
	"fmt"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// What a step must show, besides the SLO, to prove a rate.
const (
	// MinServedShare: successful answers per second must reach this share of
	// the rate offered beyond the 429s, so the answer cannot exceed what the
	// target actually served.
	MinServedShare = 0.97
	// MaxRateLimitedShare: a step with more 429s than this share of its
	// calls measures the keys' limits, not the target's capacity.
	MaxRateLimitedShare = 0.20
	// MaxMissedShare: more missed slots than this and the tool, not the
	// target, set the rate.
	MaxMissedShare = 0.01
)

// Step is one rate held for a step's duration: what was measured and how it
// was judged.
type Step struct {
	Index            int       // 1 for the first step run
	Rate             load.Rate // offered
	Duration, Warmup time.Duration

	// Measured is the figures of the calls sent after the warm-up, 429s left
	// out: what the SLO is judged on. Its Missed counts the whole step's
	// missed slots.
	Measured load.Summary
	// RateLimited counts the 429s among the calls sent after the warm-up.
	RateLimited uint64
	// Achieved is successful answers per second: the answers that came back
	// during the measured part shifted by the pipeline's delay (the fastest
	// answer's latency), whenever their calls were sent, over AchievedWindow,
	// the time the measured part's slots take. Below capacity it is the
	// offered rate; above, what the target served.
	Achieved       float64
	AchievedWindow time.Duration

	// The whole step, warm-up included.
	Calls, Slots, Missed uint64
	Tokens               int64
	NoAnswer             bool // not one call got an HTTP answer
	Interrupted          bool // cut short (Ctrl-C): not judged

	// Judged by the search.
	SLO     []load.ThresholdResult
	Met     bool
	Reasons []string // why the step did not prove its rate
}

// RateLimitedShare is the share of the measured calls answered 429.
func (s *Step) RateLimitedShare() float64 {
	total := s.RateLimited + s.Measured.Requests
	if total == 0 {
		return 0
	}
	return float64(s.RateLimited) / float64(total)
}

// RateLimitDominated tells whether 429s were too many for the step to prove
// anything about capacity.
func (s *Step) RateLimitDominated() bool { return s.RateLimitedShare() > MaxRateLimitedShare }

// TokensPerSecond is the output tokens served per second: the achieved rate
// times the mean completion tokens of a measured call.
func (s *Step) TokensPerSecond() float64 {
	return s.Achieved * s.Measured.Tokens.CompletionPerCall.Mean
}

// Expected is the rate the target was asked to serve: the offered rate less
// the share refused with 429.
func (s *Step) Expected() float64 { return float64(s.Rate) * (1 - s.RateLimitedShare()) }

// judge decides whether the step proved its rate under slo.
func (s *Step) judge(slo SLO) {
	s.SLO, _ = load.CheckThresholds(slo.Thresholds, &s.Measured)
	s.Reasons = nil
	if s.Interrupted {
		s.Met, s.Reasons = false, []string{"interrupted: not judged"}
		return
	}
	for _, r := range s.SLO {
		if !r.Pass {
			s.Reasons = append(s.Reasons, fmt.Sprintf("%s: observed %s", r.Expr, r.ObservedString()))
		}
	}
	if s.RateLimitDominated() {
		s.Reasons = append(s.Reasons, fmt.Sprintf("rate-limited: %.0f%% of calls answered 429: use keys with higher limits or more --api-key",
			100*s.RateLimitedShare()))
	}
	switch window := s.AchievedWindow.Seconds(); {
	case window <= 0:
		s.Reasons = append(s.Reasons, "no successful answer came back")
	// One answer of slack: at low rates a single call crossing the window's
	// edge is a large share.
	case s.Achieved*window+1 < MinServedShare*s.Expected()*window:
		s.Reasons = append(s.Reasons, fmt.Sprintf("achieved %.2f/s, under %.0f%% of the %.2f/s offered: the target did not keep up",
			s.Achieved, 100*MinServedShare, s.Expected()))
	}
	if s.Slots > 0 && float64(s.Missed) > MaxMissedShare*float64(s.Slots) {
		s.Reasons = append(s.Reasons, fmt.Sprintf("%d of %d slots missed: every worker was busy, so the rate was not offered", s.Missed, s.Slots))
	}
	s.Met = len(s.Reasons) == 0
}
