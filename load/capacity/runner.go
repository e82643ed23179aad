package capacity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// Runner runs steps over HTTP with load.Run: a constant rate for Duration,
// figures taken after Warmup, a Pause between steps so the target's queue
// drains (load.Run itself returns only once every call in flight answered).
type Runner struct {
	// Plan is what each step sends (Root, Path, Keys, Bodies, Timeout...);
	// its Profile and Name are set per step.
	Plan             load.Plan
	Duration, Warmup time.Duration
	// Pause is the quiet time before every step but the first (default
	// DefaultPause; negative: none).
	Pause time.Duration
	// Sinks receive every call of every step (load.BinaryOutput for
	// --output); Close closes them.
	Sinks []load.Sink
	// Options are passed to every load.Run (grace, pacer tolerance).
	Options []load.Option

	ran bool
}

// Step implements StepFunc.
func (r *Runner) Step(ctx context.Context, rate load.Rate) (*Step, error) {
	if r.ran {
		r.pause(ctx)
	}
	r.ran = true
	profile, err := load.Constant(rate, r.Duration)
	if err != nil {
		return nil, err
	}
	plan := r.Plan
	plan.Profile = profile
	plan.Name = "capacity " + rate.String()
	m := newMeasure(r.Duration, r.Warmup, len(plan.Keys))
	opts := append(append([]load.Option{}, r.Options...), load.WithSinks(m))
	for _, s := range r.Sinks {
		opts = append(opts, load.WithSinks(keepOpen{s}))
	}
	m.anchor = time.Now() // load.Run starts its attack within microseconds
	res, err := load.Run(ctx, plan, opts...)
	if res == nil {
		return nil, err
	}
	return m.step(rate, &res.Summary), err
}

// pause waits before a step; a cancelled ctx ends it early, and the step
// then returns at once with what it has.
func (r *Runner) pause(ctx context.Context) {
	d := r.Pause
	if d == 0 {
		d = DefaultPause
	}
	if d < 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Close closes the sinks.
func (r *Runner) Close() error {
	var errs []error
	for _, s := range r.Sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// keepOpen shares a sink across steps: load.Run closes its sinks at the end
// of each run, the Runner only once at the end of the search.
type keepOpen struct{ load.Sink }

func (keepOpen) Close() error { return nil }

// measure is the sink that takes a step's figures: the calls sent after
// the warm-up (429s counted apart) into load's metrics, and the successful
// answers over time for the achieved rate.
type measure struct {
	anchor           time.Time
	duration, warmup time.Duration
	metrics          *load.Metrics
	rateLimited      uint64
	answers          []uint64 // successful answers per bucket of resolution since anchor
	resolution       time.Duration
	firstAnswer      time.Duration // the shortest success latency: the pipeline's delay
}

// answerBuckets is how many buckets a step's length is counted in.
const answerBuckets = 1000

func newMeasure(duration, warmup time.Duration, keys int) *measure {
	res := max(duration/answerBuckets, time.Microsecond)
	return &measure{duration: duration, warmup: warmup, metrics: load.NewMetrics(keys),
		answers: make([]uint64, 2*answerBuckets), resolution: res, firstAnswer: -1}
}

func (m *measure) Add(h *load.Hit) error {
	if h.Outcome == load.Success {
		if end := h.End().Sub(m.anchor); end >= 0 {
			i := int(end / m.resolution)
			if i >= len(m.answers) {
				m.answers = append(m.answers, make([]uint64, i+1-len(m.answers))...)
			}
			m.answers[i]++
		}
		if m.firstAnswer < 0 || h.Latency < m.firstAnswer {
			m.firstAnswer = h.Latency
		}
	}
	if h.Timestamp.Sub(m.anchor) < m.warmup {
		return nil
	}
	if h.Outcome == load.RateLimited {
		m.rateLimited++
		return nil
	}
	m.metrics.Add(h)
	return nil
}

func (m *measure) Close() error { return nil }

// step builds the step from the measure and the whole run's summary.
func (m *measure) step(rate load.Rate, whole *load.Summary) *Step {
	s := &Step{Rate: rate, Duration: m.duration, Warmup: m.warmup,
		Measured: m.metrics.Summary(), RateLimited: m.rateLimited,
		Calls: whole.Requests, Slots: whole.Slots, Missed: whole.Missed, Late: whole.Late, Tokens: whole.Tokens.Total,
		NoAnswer:    whole.Requests > 0 && whole.StatusCodes[0] == whole.Requests,
		Interrupted: whole.Interrupted}
	s.Measured.Profile = fmt.Sprintf("%s for %s, first %s left out", rate, m.duration, m.warmup)
	s.Measured.OfferedRate = float64(rate)
	s.Measured.Missed, s.Measured.Slots = whole.Missed, whole.Slots
	s.Measured.Interrupted = whole.Interrupted
	// The measured slots' answers come back one pipeline delay after them:
	// count the answers in the measured part shifted by that delay, and
	// divide by the time the measured slots take, so that low rates are not
	// rounded away (at 1/s a 1.6 s window holds one slot, not 1.6).
	slots := MeasuredCalls(rate, m.duration, m.warmup)
	if m.firstAnswer >= 0 && slots > 0 {
		from, to := int((m.warmup+m.firstAnswer)/m.resolution), int((m.duration+m.firstAnswer)/m.resolution)
		var n uint64
		for _, c := range m.answers[min(from, len(m.answers)):min(to, len(m.answers))] {
			n += c
		}
		s.AchievedWindow = time.Duration(float64(slots) / float64(rate) * float64(time.Second))
		s.Achieved = float64(n) / s.AchievedWindow.Seconds()
	}
	return s
}
