// Package ratelimit measures what a target's rate limiter actually does: its
// burst capacity, refill, algorithm (fixed window, sliding log or token
// bucket), Retry-After, rate-limit headers and what counts against the limit,
// spending about 1.5 N calls for a limit of N per window.
//
// Run drives the probes (through a Caller and a Clock, both injectable) and
// records every call; Analyze turns that call log into Findings, a pure
// function the tests feed with synthetic logs.
package ratelimit

import (
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Config is what a run needs to know before it starts.
type Config struct {
	Expect    target.Limit  // the limit the user expects; its window drives the timing
	Tolerance int           // how far the measured limit may be from Expect.N
	Keys      int           // 1, or 2 for the per-key probe
	SkipQuiet bool          // the key is known to have been idle for a window
	Clock     Clock         // RealClock unless a test injects one
	Progress  func(string)  // optional: one line per step
	Slack     time.Duration // timing uncertainty added to every call's; 0 = W/10000 + 1ms
}

func (c Config) withDefaults() Config {
	if c.Keys < 1 {
		c.Keys = 1
	}
	if c.Clock == nil {
		c.Clock = RealClock
	}
	if c.Tolerance < 0 {
		c.Tolerance = 0
	}
	if c.Slack == 0 {
		// The server handled each call between its send and its answer, so
		// only the clocks' drift remains.
		c.Slack = c.Expect.Window/10000 + time.Millisecond
	}
	return c
}

// gap is the pause between the burst's first call (the marker) and the rest:
// short enough that a token bucket refills less than one token, long enough
// that a sliding log frees the marker's slot measurably before the others.
func gap(l target.Limit) time.Duration { return l.Interval() / 2 }

// volleySize is how many calls a volley sends at once: enough to tell one
// refilled token from a window reset.
func volleySize(n int) int { return min(3, n) }
