package capacity

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// Defaults of a search.
const (
	DefaultStart        load.Rate = 1
	DefaultMax          load.Rate = 100
	DefaultPrecision              = 0.05
	DefaultStepDuration           = 10 * time.Second
	DefaultPause                  = time.Second
)

// DefaultWarmup leaves the first fifth of each step out of its figures.
var DefaultWarmup = Warmup{Fraction: 0.2}

// Config is a search: the rates it may try, how precisely it bisects, how
// long each step lasts, the SLO, and the cost caps it must stay within.
type Config struct {
	Start, Max load.Rate
	// Precision: bisection stops once the first rate that missed is within
	// Precision (a ratio) above the last rate that met.
	Precision float64
	// StepDuration is each step's length, Warmup included.
	StepDuration, Warmup time.Duration
	SLO                  SLO
	// MaxCalls and MaxTokens stop the search before a step that could take
	// its spending beyond them (0: no cap); TokensPerCall is a call's worst
	// case (load.Estimate), 0 for models calls.
	MaxCalls, MaxTokens int64
	TokensPerCall       int64
}

// Validate checks the configuration before anything is sent.
func (c *Config) Validate() error {
	switch {
	case !(c.Start > 0) || math.IsInf(float64(c.Start), 0):
		return fmt.Errorf("start rate %s must be above 0", c.Start)
	case !(c.Max >= c.Start) || math.IsInf(float64(c.Max), 0):
		return fmt.Errorf("max rate %s must be at least the start rate %s", c.Max, c.Start)
	case float64(c.Max)/float64(c.Start) > 1<<40:
		return fmt.Errorf("max rate %s is more than 2^40 times the start rate %s", c.Max, c.Start)
	case c.Precision < MinPrecision || c.Precision > 1:
		return fmt.Errorf("precision %s must be between %s and 100%%", formatPercent(c.Precision), formatPercent(MinPrecision))
	case c.StepDuration <= 0:
		return fmt.Errorf("step duration %s must be positive", c.StepDuration)
	case c.Warmup < 0 || c.Warmup >= c.StepDuration:
		return fmt.Errorf("warm-up %s must be shorter than the step (%s)", c.Warmup, c.StepDuration)
	case len(c.SLO.Thresholds) == 0:
		return fmt.Errorf("no SLO: give thresholds like 'p95<3s,success>=99%%'")
	}
	// Rates only rise from the start, so the first step measures the fewest.
	if n := MeasuredCalls(c.Start, c.StepDuration, c.Warmup); n < MinMeasuredCalls {
		return fmt.Errorf("a %s step at the start rate %s sends %d call(s), %d after its %s warm-up, but judging the SLO "+
			"needs at least %d after it: raise --step-duration or --start-rate", c.StepDuration, c.Start, StepCalls(c.Start, c.StepDuration), n,
			c.Warmup, MinMeasuredCalls)
	}
	return nil
}

// MinMeasuredCalls is the fewest calls a step must send after its warm-up
// for its figures to be judged: below it one call decides a success share
// and there is no spread to read a latency from. Percentiles are not given
// more: with fewer than 1/(1−q) calls, pNN is in effect the slowest call,
// which makes a step harder to meet, never easier.
const MinMeasuredCalls = 5

// MeasuredCalls is how many calls a step of duration d at rate sends after
// the warm-up: the slots in [warmup, d).
func MeasuredCalls(rate load.Rate, d, warmup time.Duration) int64 {
	return StepCalls(rate, d) - StepCalls(rate, warmup)
}

// MinPrecision bounds how finely a search may bisect (and so how many steps
// WorstCase follows).
const MinPrecision = 0.001

// ParsePrecision reads a percentage such as "5%".
func ParsePrecision(s string) (float64, error) {
	p, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if !ok || err != nil || v*0.01 < MinPrecision || v > 100 {
		return 0, fmt.Errorf("precision %q: give a percentage between %s and 100%%, like 5%%", s, formatPercent(MinPrecision))
	}
	return v / 100, nil
}

func formatPercent(ratio float64) string {
	return strconv.FormatFloat(ratio*100, 'f', -1, 64) + "%"
}

// Warmup is the part of each step left out of its figures: a share of the
// step ("20%") or a fixed duration ("2s"). It is a flag.Value.
type Warmup struct {
	Fraction float64
	Fixed    time.Duration
}

// ParseWarmup reads "20%", "2s" or "0".
func ParseWarmup(s string) (Warmup, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return Warmup{}, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v >= 100 {
			return Warmup{}, fmt.Errorf("warm-up %q: give a share of the step under 100%%, like 20%%, or a duration like 2s", s)
		}
		return Warmup{Fraction: v / 100}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return Warmup{}, fmt.Errorf("warm-up %q: give a duration like 2s or a share of the step like 20%%", s)
	}
	return Warmup{Fixed: d}, nil
}

// Of is the warm-up of a step of duration d.
func (w Warmup) Of(d time.Duration) time.Duration {
	if w.Fixed > 0 {
		return w.Fixed
	}
	return time.Duration(w.Fraction * float64(d))
}

func (w Warmup) String() string {
	if w.Fixed > 0 || w.Fraction == 0 {
		return w.Fixed.String()
	}
	return formatPercent(w.Fraction)
}

// Set makes Warmup a flag.Value.
func (w *Warmup) Set(s string) error {
	v, err := ParseWarmup(s)
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// Precision is a flag.Value for Config.Precision.
type Precision float64

func (p Precision) String() string { return formatPercent(float64(p)) }

// Set makes Precision a flag.Value.
func (p *Precision) Set(s string) error {
	v, err := ParsePrecision(s)
	if err != nil {
		return err
	}
	*p = Precision(v)
	return nil
}
