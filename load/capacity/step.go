package capacity

import (
	"fmt"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// What a step must show, besides the SLO, to prove a rate.
const (
	// MaxShortfallShare and ShortfallSlackCalls: a step is short, so the
	// target did not keep up, when the successes answered in its measured
	// part fall short of the calls expected by more than the larger of
	// MaxShortfallShare of those calls and ShortfallSlackCalls calls. The
	// slack in calls is for low rates, where one call crossing the measured
	// part's edge is a large share; at 50 expected calls and more the share
	// decides. ServedRule states it.
	MaxShortfallShare   = 0.03
	ShortfallSlackCalls = 1.5
	// MaxRateLimitedShare: a step with more 429s than this share of its
	// calls measures the keys' limits, not the target's capacity.
	MaxRateLimitedShare = 0.20
	// MaxMissedShare: more missed slots than this and the tool, not the
	// target, set the rate.
	MaxMissedShare = 0.01
)

// ServedRule is the rule that a step kept up, as reports state it.
var ServedRule = fmt.Sprintf("a step keeps up unless its shortfall (offered rate × measured time × share not answered 429, "+
	"less the successes answered) exceeds the larger of %g%% of those expected calls and %g calls",
	100*MaxShortfallShare, ShortfallSlackCalls)

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
	Late                 uint64 // calls sent more than 5 ms behind their slots
	Tokens               int64
	NoAnswer             bool // not one call got an HTTP answer
	Interrupted          bool // cut short (Ctrl-C): not judged

	// Judged by the search. A step is Judged unless it was interrupted or
	// no call was sent after its warm-up: it then neither met nor missed.
	Judged  bool
	SLO     []load.ThresholdResult
	Met     bool
	Reasons []string // why the step did not prove its rate, or was not judged
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

// ExpectedCalls is how many successes the measured part should hold: the
// expected rate over the measured time.
func (s *Step) ExpectedCalls() float64 { return s.Expected() * s.AchievedWindow.Seconds() }

// Served is how many successes the measured part held.
func (s *Step) Served() float64 { return s.Achieved * s.AchievedWindow.Seconds() }

// Shortfall is the expected calls less the served ones, and the most
// ServedRule allows.
func (s *Step) Shortfall() (short, allowed float64) {
	expected := s.ExpectedCalls()
	return expected - s.Served(), max(MaxShortfallShare*expected, ShortfallSlackCalls)
}

// judge decides whether the step proved its rate under slo.
func (s *Step) judge(slo SLO) {
	s.SLO, _ = load.CheckThresholds(slo.Thresholds, &s.Measured)
	s.Reasons, s.Met, s.Judged = nil, false, false
	switch {
	case s.Interrupted:
		s.Reasons = []string{"interrupted: not judged"}
		return
	case s.Measured.Requests == 0 && s.RateLimited == 0:
		s.Reasons = []string{"no call was sent after the warm-up, so there is nothing to judge: raise --step-duration or the rate"}
		return
	}
	s.Judged = true
	for _, r := range s.SLO {
		if !r.Pass {
			s.Reasons = append(s.Reasons, fmt.Sprintf("%s: observed %s", r.Expr, r.ObservedString()))
		}
	}
	if s.RateLimitDominated() {
		s.Reasons = append(s.Reasons, fmt.Sprintf("rate-limited: %.0f%% of calls answered 429: use keys with higher limits or more --api-key",
			100*s.RateLimitedShare()))
	}
	if s.AchievedWindow <= 0 {
		s.Reasons = append(s.Reasons, "no successful answer came back")
	} else if short, allowed := s.Shortfall(); short > allowed {
		who := "the target did not keep up"
		if s.Slots > 0 && float64(s.Late) > MaxMissedShare*float64(s.Slots) {
			// Late sends are caught up after their time: the shortfall may
			// be the tool's.
			who = fmt.Sprintf("but %d of %d calls went out more than 5 ms behind their slots, so the machine running the tool may have fallen behind, not the target", s.Late, s.Slots)
		}
		s.Reasons = append(s.Reasons, fmt.Sprintf("served %.2f/s of the %.2f/s expected: %.1f calls short, more than the %.2f allowed: %s",
			s.Achieved, s.Expected(), short, allowed, who))
	}
	if s.Slots > 0 && float64(s.Missed) > MaxMissedShare*float64(s.Slots) {
		s.Reasons = append(s.Reasons, fmt.Sprintf("%d of %d slots missed: every worker was busy, so the rate was not offered", s.Missed, s.Slots))
	}
	s.Met = len(s.Reasons) == 0
}
