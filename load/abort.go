package load

import (
	"fmt"
	"strings"
	"time"
)

// AbortCondition stops a run early when it holds: "error_rate>10% for 10s"
// (over the last 10 s of answers, once 10 s have passed) or "tokens>50000"
// (over the whole run so far). It uses the threshold grammar; a windowed
// condition may only use counts and ratios.
type AbortCondition struct {
	When   Threshold
	Window time.Duration // 0: the whole run so far
}

func (a AbortCondition) String() string { return a.When.Expr }

// ParseAbort reads "EXPR" or "EXPR for DURATION".
func ParseAbort(s string) (AbortCondition, error) {
	expr, win, windowed := strings.Cut(s, " for ")
	t, err := ParseThreshold(expr)
	if err != nil {
		return AbortCondition{}, fmt.Errorf("abort-on: %v", err)
	}
	a := AbortCondition{When: t}
	if windowed {
		a.Window, err = time.ParseDuration(strings.TrimSpace(win))
		if err != nil || a.Window < windowResolution {
			return AbortCondition{}, fmt.Errorf("abort-on %q: the window after \"for\" must be a duration of at least %s, like 10s", s, windowResolution)
		}
		if !t.m.windowed {
			return AbortCondition{}, fmt.Errorf("abort-on %q: %s cannot be measured over a window; use success, error_rate, errors, failures, rate_limited, requests, rate or throughput", s, t.Metric)
		}
	}
	a.When.Expr = strings.TrimSpace(s)
	return a, nil
}

// holds tells whether the condition is met; no data never aborts.
func (a AbortCondition) holds(s *Summary) bool {
	r := a.When.Check(s)
	return !r.NoData && r.Pass
}

const windowResolution = 100 * time.Millisecond

// window counts outcomes in 100 ms buckets over the longest abort window.
type window struct {
	buckets []bucket
}

type bucket struct {
	slot                                       int64
	requests, successes, rateLimited, failures uint64
}

func newWindow(span time.Duration) *window {
	return &window{buckets: make([]bucket, int(span/windowResolution)+2)}
}

func (w *window) add(at time.Duration, o Outcome) {
	slot := int64(at / windowResolution)
	b := &w.buckets[slot%int64(len(w.buckets))]
	if b.slot != slot {
		*b = bucket{slot: slot}
	}
	b.requests++
	switch o {
	case Success:
		b.successes++
	case RateLimited:
		b.rateLimited++
	default:
		b.failures++
	}
}

// summary of the span ending at now: counts, and rates over the span.
func (w *window) summary(now, span time.Duration) Summary {
	last := int64(now / windowResolution)
	first := last - int64(span/windowResolution) + 1
	var s Summary
	for _, b := range w.buckets {
		if b.slot >= first && b.slot <= last {
			s.Requests += b.requests
			s.Successes += b.successes
			s.RateLimited += b.rateLimited
			s.Failures += b.failures
		}
	}
	s.Duration = span
	s.Rate = float64(s.Requests) / span.Seconds()
	s.Throughput = float64(s.Successes) / span.Seconds()
	return s
}
