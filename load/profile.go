package load

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Profile says how calls are offered over time: an open-loop rate curve
// (Constant, Ramp, Steps, optionally with Poisson arrivals) or a closed loop
// (Closed: a fixed number of calls in flight).
type Profile interface {
	fmt.Stringer
	// Duration is how long the profile lasts.
	Duration() time.Duration
	// Calls is how many calls it offers: exact for uniform arrivals, the mean
	// for Poisson ones; bounded is false for a closed loop, whose count
	// depends on the target's latency.
	Calls() (n int64, bounded bool)
	// RateAt is the offered rate at a point of the run (0 for a closed loop).
	RateAt(elapsed time.Duration) Rate
	// InFlight is a closed loop's concurrency, 0 for open-loop profiles.
	InFlight() int
	// NewPacer makes the pacer of one run.
	NewPacer(opts ...PacerOption) *Pacer
}

// curve is an open-loop rate over [0, duration): at(x) is the time at which
// the expected number of calls reaches x, the inverse of the cumulative rate.
// Uniform arrivals are the slots at(0), at(1), ...; Poisson arrivals map a
// unit-rate Poisson process through the same inverse.
type curve interface {
	at(x float64) (seconds float64, ok bool)
	total() float64 // expected calls over the whole duration
	rate(seconds float64) float64
	duration() time.Duration
	String() string
}

// open is a rate curve with its arrival process.
type open struct {
	c       curve
	poisson bool
	seed    uint64
}

func (o open) String() string {
	if o.poisson {
		return o.c.String() + " (Poisson arrivals)"
	}
	return o.c.String()
}
func (o open) Duration() time.Duration { return o.c.duration() }
func (o open) InFlight() int           { return 0 }
func (o open) RateAt(elapsed time.Duration) Rate {
	if elapsed < 0 || elapsed >= o.c.duration() {
		return 0
	}
	return Rate(o.c.rate(elapsed.Seconds()))
}

func (o open) Calls() (int64, bool) {
	t := o.c.total()
	if o.poisson {
		return int64(math.Round(t)), true
	}
	// Slot n exists while n < total: ceil, forgiving float noise.
	return int64(math.Ceil(t - 1e-9)), true
}

// Constant offers rate calls per second for d.
func Constant(rate Rate, d time.Duration) (Profile, error) {
	if err := checkRate(rate, "rate"); err != nil {
		return nil, err
	}
	if rate == 0 {
		return nil, fmt.Errorf("rate must be above 0 (for as many calls as the target takes, use a closed loop)")
	}
	if err := checkDuration(d); err != nil {
		return nil, err
	}
	return open{c: constant{r: float64(rate), d: d}}, nil
}

// Ramp offers a rate rising (or falling) linearly from from to to over d.
func Ramp(from, to Rate, d time.Duration) (Profile, error) {
	if err := checkRate(from, "ramp start"); err != nil {
		return nil, err
	}
	if err := checkRate(to, "ramp end"); err != nil {
		return nil, err
	}
	if from == 0 && to == 0 {
		return nil, fmt.Errorf("a ramp from 0 to 0 offers no calls")
	}
	if err := checkDuration(d); err != nil {
		return nil, err
	}
	return open{c: ramp{a: float64(from), b: float64(to), d: d}}, nil
}

// Step is one stage of a Steps profile: Rate for Duration.
type Step struct {
	Rate     Rate
	Duration time.Duration
}

func (s Step) String() string { return s.Rate.String() + "@" + s.Duration.String() }

// Steps offers each step's rate for its duration, in order. A rate of 0 is a
// pause.
func Steps(steps ...Step) (Profile, error) {
	if len(steps) == 0 {
		return nil, fmt.Errorf("steps: give at least one RATE@DURATION")
	}
	var calls float64
	for _, s := range steps {
		if err := checkRate(s.Rate, "step rate"); err != nil {
			return nil, err
		}
		if err := checkDuration(s.Duration); err != nil {
			return nil, err
		}
		calls += float64(s.Rate) * s.Duration.Seconds()
	}
	if calls == 0 {
		return nil, fmt.Errorf("steps: every step has rate 0, nothing would be sent")
	}
	return open{c: stepCurve(steps)}, nil
}

// ParseSteps reads "5/s@30s,10/s@1m".
func ParseSteps(s string) ([]Step, error) {
	var steps []Step
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		r, d, ok := strings.Cut(part, "@")
		if !ok {
			return nil, fmt.Errorf("step %q: write each step as RATE@DURATION, like 5/s@30s,10/s@30s", part)
		}
		rate, err := ParseRate(r)
		if err != nil {
			return nil, fmt.Errorf("step %q: %v", part, err)
		}
		du, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || du <= 0 {
			return nil, fmt.Errorf("step %q: the duration must be positive, like 30s", part)
		}
		steps = append(steps, Step{Rate: rate, Duration: du})
	}
	return steps, nil
}

// Poisson turns an open-loop profile's arrivals into a (non-homogeneous)
// Poisson process with the same rate curve: exponential gaps, seeded so a
// run can be repeated.
func Poisson(p Profile, seed uint64) (Profile, error) {
	o, ok := p.(open)
	if !ok {
		return nil, fmt.Errorf("Poisson arrivals need a rate profile, not %s", p)
	}
	o.poisson, o.seed = true, seed
	return o, nil
}

// Closed keeps n calls in flight for d: each call starts when one ends.
func Closed(n int, d time.Duration) (Profile, error) {
	if n < 1 {
		return nil, fmt.Errorf("in-flight calls must be at least 1, not %d", n)
	}
	if err := checkDuration(d); err != nil {
		return nil, err
	}
	return closed{n: n, d: d}, nil
}

type closed struct {
	n int
	d time.Duration
}

func (c closed) String() string                    { return fmt.Sprintf("closed loop, %d in flight for %s", c.n, c.d) }
func (c closed) Duration() time.Duration           { return c.d }
func (c closed) Calls() (int64, bool)              { return 0, false }
func (c closed) RateAt(elapsed time.Duration) Rate { return 0 }
func (c closed) InFlight() int                     { return c.n }

type constant struct {
	r float64
	d time.Duration
}

func (c constant) String() string          { return fmt.Sprintf("constant %s for %s", Rate(c.r), c.d) }
func (c constant) duration() time.Duration { return c.d }
func (c constant) total() float64          { return c.r * c.d.Seconds() }
func (c constant) rate(float64) float64    { return c.r }
func (c constant) at(x float64) (float64, bool) {
	t := x / c.r
	return t, t < c.d.Seconds()
}

// ramp: rate(t) = a + k t with k = (b-a)/T, cumulative N(t) = a t + k t²/2.
type ramp struct {
	a, b float64
	d    time.Duration
}

func (r ramp) String() string {
	return fmt.Sprintf("ramp %s → %s over %s", Rate(r.a), Rate(r.b), r.d)
}
func (r ramp) duration() time.Duration { return r.d }
func (r ramp) total() float64          { return (r.a + r.b) / 2 * r.d.Seconds() }
func (r ramp) rate(t float64) float64  { return r.a + (r.b-r.a)*t/r.d.Seconds() }
func (r ramp) at(x float64) (float64, bool) {
	T := r.d.Seconds()
	k := (r.b - r.a) / T
	var t float64
	if math.Abs(k) < 1e-12 {
		t = x / r.a
	} else {
		disc := r.a*r.a + 2*k*x
		if disc < 0 {
			return 0, false
		}
		// The numerically stable root of k t²/2 + a t - x = 0.
		t = 2 * x / (r.a + math.Sqrt(disc))
	}
	return t, t < T && !math.IsNaN(t) && !math.IsInf(t, 0)
}

type stepCurve []Step

func (s stepCurve) String() string {
	parts := make([]string, len(s))
	for i, st := range s {
		parts[i] = st.String()
	}
	return "steps " + strings.Join(parts, ",")
}

func (s stepCurve) duration() time.Duration {
	var d time.Duration
	for _, st := range s {
		d += st.Duration
	}
	return d
}

func (s stepCurve) total() float64 {
	var n float64
	for _, st := range s {
		n += float64(st.Rate) * st.Duration.Seconds()
	}
	return n
}

func (s stepCurve) rate(t float64) float64 {
	for _, st := range s {
		if t < st.Duration.Seconds() {
			return float64(st.Rate)
		}
		t -= st.Duration.Seconds()
	}
	return 0
}

func (s stepCurve) at(x float64) (float64, bool) {
	var start, cum float64
	for _, st := range s {
		d, r := st.Duration.Seconds(), float64(st.Rate)
		if r > 0 && x < cum+r*d {
			return start + (x-cum)/r, true
		}
		start, cum = start+d, cum+r*d
	}
	return 0, false
}

func checkRate(r Rate, what string) error {
	if r < 0 || math.IsNaN(float64(r)) || math.IsInf(float64(r), 0) {
		return fmt.Errorf("%s %v must be a finite rate of 0 or more", what, float64(r))
	}
	return nil
}

func checkDuration(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("duration %s must be positive, like 60s", d)
	}
	return nil
}
