package suites

import (
	"context"
	"sync"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
)

// Pacer keeps the tool under the target's declared limit: never more than
// Cap(limit) calls in any sliding window of Window(limit). Every call the run
// makes passes through it (models and refused calls too: a target may count
// them), so that only the RATE specs, which burst on purpose, provoke 429.
type Pacer struct {
	limit  target.Limit
	cap    int
	window time.Duration
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error

	mu    sync.Mutex
	calls []time.Time // send times still inside the window, oldest first
}

// PacerOption configures a Pacer (tests inject a clock).
type PacerOption func(*Pacer)

// WithPacerClock replaces time.Now and the sleep between calls.
func WithPacerClock(now func() time.Time, sleep func(context.Context, time.Duration) error) PacerOption {
	return func(p *Pacer) { p.now, p.sleep = now, sleep }
}

// NewPacer paces calls for the limit.
func NewPacer(limit target.Limit, opts ...PacerOption) *Pacer {
	p := &Pacer{limit: limit, cap: PaceCap(limit.N), window: PaceWindow(limit.Window), now: time.Now, sleep: load.Sleep}
	for _, o := range opts {
		o(p)
	}
	return p
}

// PaceCap is how many calls the tool allows itself per window: about 90% of
// N and at most N-1, so that a limiter counting a little differently from us
// (clock skew, a call in flight) is never reached.
func PaceCap(n int) int {
	c := min(n-1, (n*9+9)/10)
	return max(c, 1)
}

// PaceWindow is the window the pacer counts over: W plus a margin for the
// time between our send and the target's count.
func PaceWindow(w time.Duration) time.Duration { return w + w/20 + 25*time.Millisecond }

// Limit is the declared limit the pacer keeps under.
func (p *Pacer) Limit() target.Limit { return p.limit }

// Delay is how long a call wanting to go out at now must wait.
func (p *Pacer) Delay(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delayLocked(now)
}

func (p *Pacer) delayLocked(now time.Time) time.Duration {
	cut := 0
	for cut < len(p.calls) && !p.calls[cut].After(now.Add(-p.window)) {
		cut++
	}
	p.calls = p.calls[cut:]
	if len(p.calls) < p.cap {
		return 0
	}
	return p.calls[len(p.calls)-p.cap].Add(p.window).Sub(now)
}

// Wait blocks until a call may go out under the limit, and counts it.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := p.now()
		d := p.delayLocked(now)
		if d <= 0 {
			p.calls = append(p.calls, now)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// Record counts a call that went out without waiting (a RATE burst).
func (p *Pacer) Record() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, p.now())
}

// Quiet waits until no call has gone out for a whole window: the quiet
// period after which any limiter must serve a full burst (RATE-2).
func (p *Pacer) Quiet(ctx context.Context) error {
	if d := p.QuietDelay(); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

// QuietDelay is how long Quiet would wait now.
func (p *Pacer) QuietDelay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.calls)
	if n == 0 {
		return p.window // no call of ours yet: the key may still have been busy
	}
	return p.calls[n-1].Add(p.window).Sub(p.now())
}
