package load

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// DefaultTolerance is how far behind its schedule a run may fall before it
// drops slots (counted as missed) instead of sending them late.
const DefaultTolerance = time.Second

// CatchUp is how much faster than the profile's rate a run that fell behind
// (a stalled machine) sends until it is back on schedule: fast enough to
// offer every slot, slow enough that no 100 ms ever holds more than about
// 1.08× its share (vegeta bursts every overdue slot at once).
const CatchUp = 1.08

// lateAfter is how late a send must be to count as late.
const lateAfter = 5 * time.Millisecond

// Pacer is a vegeta.Pacer that never sends catch-up bursts. vegeta's own
// pacers answer "wait 0" while behind, so after any stall they fire every
// overdue slot at once (vegeta issue #620). This one walks its profile's
// slots in order; overdue slots go out as fast as no 100 ms holds more than
// CatchUp times its share, so a run that fell behind catches up at a bounded
// pace; a slot more than the tolerance late is
// dropped and counted as missed (every worker busy for that long: the
// tool, not the target, would set the rate).
//
// vegeta calls Pace from its one attack goroutine; the counters may be read
// from any goroutine.
type Pacer struct {
	next      func() (time.Duration, bool) // the slots' due times, in order
	rate      func(time.Duration) float64
	closed    bool
	poisson   bool // arrivals cluster by design: only overdue slots are held to the window
	tolerance time.Duration
	maxCalls  uint64

	due  time.Duration // due time of the slot waiting to be sent
	have bool
	hits uint64
	// Send times within the last catchUpWindow, oldest first: a run that is
	// behind sends an overdue slot only while they number fewer than
	// CatchUp times the window's share.
	recent []time.Duration
	// started counts hits whose workers have taken their timestamp (nil:
	// as soon as sent).
	started func() uint64
	missed  atomic.Uint64
	late    atomic.Uint64
}

var _ vegeta.Pacer = (*Pacer)(nil)

// PacerOption configures a Pacer.
type PacerOption func(*Pacer)

// WithTolerance sets how far behind a run may fall before it drops slots.
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
	p.poisson = o.poisson
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
// hit, so hits moving on means the waiting slot went out, just now.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits > p.hits {
		if !p.closed {
			for range hits - p.hits {
				p.recent = append(p.recent, elapsed)
			}
		}
		p.hits = hits
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
	if p.poisson && p.due > elapsed {
		return p.due - elapsed, false // on time: Poisson's own clusters stand
	}
	// The slot goes at its time, or later if the last 100 ms already hold
	// CatchUp times their share (a run catching up).
	at := max(p.due, p.windowFreeAt(elapsed))
	if at > elapsed {
		return at - elapsed, false
	}
	if p.started != nil && p.started() < hits {
		// Due now, but a worker has yet to stamp its send: wait for it, so
		// that the window counts sends when their results say they left (a
		// starved machine would otherwise stamp a window's sends in a clump).
		return stampWait, false
	}
	if elapsed-p.due > lateAfter {
		p.late.Add(1) // sent now, behind its slot
	}
	return 0, false
}

// stampWait is how long a due slot waits for the previous send's worker.
const stampWait = 50 * time.Microsecond

// withStarted tells the pacer how many hits have taken their timestamp.
func withStarted(f func() uint64) PacerOption { return func(p *Pacer) { p.started = f } }

// catchUpWindow is the span over which a run catching up is held to
// CatchUp times its rate.
const catchUpWindow = 100 * time.Millisecond

// windowFreeAt is the earliest time a send keeps every catchUpWindow to
// CatchUp times its share of sends (at least one more); 0 when a send may
// go now.
func (p *Pacer) windowFreeAt(elapsed time.Duration) time.Duration {
	i := 0
	for i < len(p.recent) && p.recent[i] <= elapsed-catchUpWindow {
		i++
	}
	if i > 0 {
		p.recent = append(p.recent[:0], p.recent[i:]...)
	}
	// At least one more than the window's share, so that a low rate can
	// catch up at all.
	share := p.rate(p.due) * catchUpWindow.Seconds()
	limit := max(int(share*CatchUp), int(share)+1)
	if len(p.recent) < limit {
		return 0
	}
	return p.recent[len(p.recent)-limit] + catchUpWindow
}

// Rate implements vegeta.Pacer: the profile's offered rate at elapsed.
func (p *Pacer) Rate(elapsed time.Duration) float64 { return p.rate(elapsed) }

// PacerStats counts the slots a pacer did not send on time.
type PacerStats struct {
	Missed uint64 // slots dropped: the run was more than the tolerance behind
	Late   uint64 // calls the pacer let go more than 5 ms after their slot
}

// Stats reads the counters; safe while the run goes on.
func (p *Pacer) Stats() PacerStats {
	return PacerStats{Missed: p.missed.Load(), Late: p.late.Load()}
}
