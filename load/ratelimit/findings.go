package ratelimit

import (
	"fmt"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// SchemaFindings names the JSON findings' schema; bump it on a breaking change.
const SchemaFindings = "carpathian-conform/ratelimit/v1"

// Verdicts against --expect.
const (
	VerdictPass       = "PASS"       // the measured limit is Expect.N within the tolerance
	VerdictFail       = "FAIL"       // it is not: exit 1
	VerdictIncomplete = "INCOMPLETE" // nothing was measured (interrupted or the tool failed)
)

// Bound is an interval known to hold a duration: after Lo, by Hi.
type Bound struct {
	Lo time.Duration `json:"lo_ns"`
	Hi time.Duration `json:"hi_ns"`
}

// Contains says whether d is within the bound, give or take slack.
func (b Bound) Contains(d, slack time.Duration) bool { return d >= b.Lo-slack && d <= b.Hi+slack }

func (b Bound) String() string {
	if b.Lo <= 0 {
		return "within " + b.Hi.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%s–%s", b.Lo.Round(time.Millisecond), b.Hi.Round(time.Millisecond))
}

// RetryAfterFinding is what the first 429 said about when to retry, and
// whether it was true.
type RetryAfterFinding struct {
	Format RetryAfterFormat `json:"format"`
	Raw    string           `json:"raw,omitempty"`
	Delay  time.Duration    `json:"delay_ns,omitempty"`
	// ServedAt: a retry at Retry-After was served (honest); RefusedAtHalf: one
	// at half of it was refused (tight). Empty when not probed.
	ServedAt      string `json:"served_at_retry_after,omitempty"`
	RefusedAtHalf string `json:"refused_at_half,omitempty"`
	// Error is Retry-After less the observed reset (positive: conservative).
	Error string `json:"error_vs_reset,omitempty"`
}

// WindowRow is one window of the timeline: chat calls on the first key, and
// the side probes (models calls, the second key) apart.
type WindowRow struct {
	Start    time.Duration `json:"start_ns"` // from the first call
	Sent     int           `json:"sent"`
	Accepted int           `json:"accepted"`
	Refused  int           `json:"refused"`
	Other    int           `json:"other"` // other statuses and network errors
	Side     int           `json:"side_probes"`
}

// Findings is everything a run measured.
type Findings struct {
	Schema      string        `json:"schema"`
	Target      string        `json:"target,omitempty"` // the root URL; never credentials
	Embedded    bool          `json:"embedded,omitempty"`
	Expect      target.Limit  `json:"expect"`
	Tolerance   int           `json:"tolerance"`
	Plan        Plan          `json:"plan"`
	Started     time.Time     `json:"started"`
	Finished    time.Time     `json:"finished"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Error       string        `json:"error,omitempty"`
	Slack       time.Duration `json:"slack_ns"`

	BurstCapacity int           `json:"burst_capacity"` // served back to back before the first 429
	BurstCalls    int           `json:"burst_calls"`
	BurstDuration time.Duration `json:"burst_duration_ns"`
	NoLimit       bool          `json:"no_limit,omitempty"` // no 429 within 2N+1 calls
	SustainedMax  int           `json:"sustained_max"`      // most served within any sliding W
	MeasuredLimit int           `json:"measured_limit"`

	// HeldBeyondWindow says why the key was refused longer than any limiter
	// of the window explains (RATE-3), or is empty.
	HeldBeyondWindow string            `json:"held_beyond_window,omitempty"`
	Refill           string            `json:"refill"`          // when and how calls were served again
	Reset            *Bound            `json:"reset,omitempty"` // first re-admission after the first 429
	Fingerprint      Fingerprint       `json:"fingerprint"`     //
	Evidence         []string          `json:"evidence"`        // why the fingerprint
	RetryAfter       RetryAfterFinding `json:"retry_after"`
	Headers          []HeaderFinding   `json:"headers"`

	RefusedLatency  time.Duration `json:"refused_latency_ns"`  // median of the 429s
	AcceptedLatency time.Duration `json:"accepted_latency_ns"` // median of the served calls
	RefusedBilled   string        `json:"refused_billed"`
	ModelsCount     string        `json:"models_count"`
	RefusedCount    string        `json:"refused_count"`
	PerKey          string        `json:"per_key"`

	Verdict       string `json:"verdict"`
	VerdictDetail string `json:"verdict_detail"`

	Timeline   []WindowRow `json:"timeline"`
	CallsSpent int         `json:"calls_spent"`
	Tokens     int         `json:"tokens"`
	Calls      []Call      `json:"calls"`
}
