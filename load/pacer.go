package load

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// DefaultTolerance is how late a slot may be sent and still count as sent.
// Beyond it the slot is dropped and counted as missed: a stalled run resumes
// on schedule instead of bursting to catch up, so at most rate×tolerance
// calls ever go out back to back.
const DefaultTolerance = 5 * time.Millisecond

// Pacer is a vegeta.Pacer that never sends catch-up bursts. vegeta's own
// pacers answer "wait 0" while behind, so after any stall they fire every
// overdue slot at once (vegeta issue #620) and the offered rate lies. This
// one walks its profile's slots in order: a slot whose time passed by more
// than the tolerance is skipped and counted as missed.
//
// vegeta calls Pace from its one attack goroutine; the counters may be read
// from any goroutine.
type Pacer struct {
	next      func() (time.Duration, bool) // the slots' due times, in order
	rate      func(time.Duration) float64
	closed    bool
	tolerance time.Duration
	maxCalls  uint64

	due    time.Duration // due time of the slot waiting to be sent
	have   bool
	hits   uint64
	missed atomic.Uint64
	late   atomic.Uint64
}

var _ vegeta.Pacer = (*Pacer)(nil)

// PacerOption configures a Pacer.
type PacerOption func(*Pacer)

// WithTolerance sets how late a slot may still be sent.
func WithTolerance(d time.Duration) PacerOption { return func(p *Pacer) { p.tolerance = d } }

// WithMaxCalls stops the pacer after n calls (0: no cap).
func WithMaxCalls(n int64) PacerOption {
	return func(p *Pacer) {
		if n > 0 {
			p.maxCalls = uint64(n)
		}
	}
}

func newPacer(opts []PacerOption) *Pacer {
	p := &Pacer{tolerance: DefaultTolerance}
	for _, o := range opts {
		o(p)
	}
	return p
}

// NewPacer makes the pacer of one run of an open-loop profile.
func (o open) NewPacer(opts ...PacerOption) *Pacer {
	p := newPacer(opts)
	p.rate = func(e time.Duration) float64 { return float64(o.RateAt(e)) }
	var x float64
	var rng *rand.Rand
	if o.poisson {
		rng = rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))
		x = rng.ExpFloat64()
	}
	p.next = func() (time.Duration, bool) {
		t, ok := o.c.at(x)
		if rng != nil {
			x += rng.ExpFloat64()
		} else {
			x++
		}
		if !ok || t > math.MaxInt64/1e9 {
			return 0, false
		}
		return time.Duration(t * 1e9), true
	}
	return p
}

// NewPacer makes the pacer of a closed loop: no waiting, the attacker's
// fixed worker count does the pacing.
func (c closed) NewPacer(opts ...PacerOption) *Pacer {
	p := newPacer(opts)
	p.closed = true
	p.rate = func(time.Duration) float64 { return 0 }
	return p
}

// Pace implements vegeta.Pacer. Every call after the first follows one sent
// hit, so hits moving on means the waiting slot went out.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits > p.hits {
		p.hits = hits
		if p.have && elapsed-p.due > p.tolerance {
			p.late.Add(1) // sent, but held up (every worker busy)
		}
		p.have = false
	}
	if p.maxCalls > 0 && hits >= p.maxCalls {
		return 0, true
	}
	if p.closed {
		return 0, false
	}
	if !p.have {
		var ok bool
		if p.due, ok = p.next(); !ok {
			return 0, true
		}
		p.have = true
	}
	for elapsed-p.due > p.tolerance {
		p.missed.Add(1)
		var ok bool
		if p.due, ok = p.next(); !ok {
			p.have = false
			return 0, true
		}
	}
	if wait := p.due - elapsed; wait > 0 {
		return wait, false
	}
	return 0, false
}

// Rate implements vegeta.Pacer: the profile's offered rate at elapsed.
func (p *Pacer) Rate(elapsed time.Duration) float64 { return p.rate(elapsed) }

// PacerStats counts the slots a pacer did not send on time.
type PacerStats struct {
	Missed uint64 // slots dropped: their time passed while every worker was busy
	Late   uint64 // calls sent more than the tolerance after their slot
}

// Stats reads the counters; safe while the run goes on.
func (p *Pacer) Stats() PacerStats {
	return PacerStats{Missed: p.missed.Load(), Late: p.late.Load()}
}
