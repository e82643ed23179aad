package suites

import (
	"context"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// fakeClock is a clock whose sleeps advance it.
type fakeClock struct {
	t     time.Time
	slept time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.t, c.slept = c.t.Add(d), c.slept+d
	return nil
}

func TestPaceCap(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 1, 5: 4, 10: 9, 20: 18, 60: 54, 100: 90} {
		if got := PaceCap(n); got != want {
			t.Errorf("PaceCap(%d) = %d, want %d", n, got, want)
		}
	}
}

// The pacer never lets more than PaceCap calls into any window, however
// the calls come, so no limiter of N per W can refuse one.
func TestPacerKeepsEveryWindowUnderTheLimit(t *testing.T) {
	for _, l := range []target.Limit{{N: 5, Window: 10 * time.Second}, {N: 60, Window: time.Minute}, {N: 1, Window: time.Second}} {
		c := &fakeClock{t: time.Unix(1e9, 0)}
		p := NewPacer(l, WithPacerClock(c.now, c.sleep))
		var sent []time.Time
		for i := 0; i < 5*l.N+3; i++ {
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, c.t)
			c.t = c.t.Add(time.Millisecond) // the call itself
		}
		for i := range sent {
			in := 0
			for j := i; j < len(sent) && sent[j].Sub(sent[i]) < l.Window; j++ {
				in++
			}
			if in > PaceCap(l.N) || in >= l.N && l.N > 1 {
				t.Fatalf("limit %v: %d calls within one window from call %d", l, in, i)
			}
		}
		// And it does not crawl: the calls take about len/cap windows.
		span := sent[len(sent)-1].Sub(sent[0])
		if max := time.Duration(len(sent)/PaceCap(l.N)+1) * PaceWindow(l.Window); span > max {
			t.Errorf("limit %v: %d calls took %v, more than %v", l, len(sent), span, max)
		}
	}
}

func TestPacerCountsBurstsAndQuiet(t *testing.T) {
	l := target.Limit{N: 5, Window: time.Second}
	c := &fakeClock{t: time.Unix(1e9, 0)}
	p := NewPacer(l, WithPacerClock(c.now, c.sleep))
	if err := p.Quiet(context.Background()); err != nil || c.slept != l.Window+0 && c.slept != PaceWindow(l.Window) {
		t.Errorf("Quiet with no call yet slept %v", c.slept)
	}
	for range 5 {
		p.Record() // a burst: counted, never delayed
	}
	if d := p.Delay(c.t); d < l.Window {
		t.Errorf("after a burst of N, the next call waits %v, want a window", d)
	}
	c.slept = 0
	if err := p.Quiet(context.Background()); err != nil || c.slept != PaceWindow(l.Window) {
		t.Errorf("Quiet after the burst slept %v, want %v", c.slept, PaceWindow(l.Window))
	}
	if d := p.Delay(c.t); d != 0 {
		t.Errorf("after a quiet window the next call waits %v", d)
	}
}

func TestPacerWaitHonoursCancel(t *testing.T) {
	p := NewPacer(target.Limit{N: 2, Window: time.Hour})
	p.Record()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx); err == nil {
		t.Error("Wait ignored a cancelled context")
	}
}
