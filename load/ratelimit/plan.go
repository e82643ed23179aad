package ratelimit

import (
	"fmt"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// MaxConcurrency caps the calls a burst keeps in flight.
const MaxConcurrency = 16

// scanProbes is how many spaced probes look for a window boundary within the
// first window when the 429 gives no Retry-After to probe at.
const scanProbes = 3

// fallbackProbes is how many spaced probes follow the boundary volley when
// nothing has been re-admitted yet (every W/8, up to a second window).
const fallbackProbes = 9

// Plan is what a run will spend at most, stated before it starts.
type Plan struct {
	Expect       target.Limit  `json:"expect"`
	MaxCalls     int           `json:"max_calls"`
	TypicalCalls int           `json:"typical_calls"`
	MaxDuration  time.Duration `json:"max_duration_ns"`
	Windows      int           `json:"windows"`
}

// NewPlan bounds a run: the burst (at most 2N+1 plus what is in flight), the
// retry-after, refill, boundary and follow-up probes, one models call and, with
// a second key, one volley on it.
func NewPlan(cfg Config) Plan {
	cfg = cfg.withDefaults()
	n, k := cfg.Expect.N, volleySize(cfg.Expect.N)
	burst := 2*n + 1 + min(MaxConcurrency, n) - 1
	// models, the bucket single, Retry-After (2), the scans, the follow-up
	// volley, the two boundary volleys, the volley telling a bucket from a window
	// reset, and the fallback singles.
	probes := 1 + 1 + 2 + scanProbes + k + 2*k + max(k, n/4) + fallbackProbes
	typical := n + 1 + 1 + 1 + 2 + k
	if cfg.Keys > 1 {
		probes += k
		typical += k
	}
	windows := 3
	d := 2*cfg.Expect.Window + gap(cfg.Expect)
	if !cfg.SkipQuiet {
		d += cfg.Expect.Window
	} else {
		windows = 2
	}
	return Plan{Expect: cfg.Expect, MaxCalls: burst + probes, TypicalCalls: typical, MaxDuration: d, Windows: windows}
}

// String is the sentence printed before the run starts.
func (p Plan) String() string {
	return fmt.Sprintf("this analysis takes at most ~%d windows (%s) and at most %d calls (typically about %d, %.1f N)",
		p.Windows, p.MaxDuration.Round(time.Second/10), p.MaxCalls, p.TypicalCalls, float64(p.TypicalCalls)/float64(max(p.Expect.N, 1)))
}
