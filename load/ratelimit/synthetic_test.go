package ratelimit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// alignedWindow is a fixed window whose boundaries sit at a phase of the
// clock (as with a per-minute counter key), not at the first call: the
// reference server's windows open with a call, so this one is simulated.
type alignedWindow struct {
	clock  *fixtures.FakeClock
	limit  target.Limit
	origin time.Time
	mu     sync.Mutex
	index  int64
	count  int
}

func (a *alignedWindow) Call(_ context.Context, kind Kind, key int) Call {
	now := a.clock.Now()
	c := Call{Kind: kind, Key: key, Sent: now, Latency: time.Millisecond, Status: http.StatusOK, Header: http.Header{}}
	c.Sent = now.Add(-time.Millisecond / 2)
	if kind != KindChat {
		return c
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := int64(math.Floor(float64(now.Sub(a.origin)) / float64(a.limit.Window)))
	if i != a.index {
		a.index, a.count = i, 0
	}
	if a.count < a.limit.N {
		a.count++
		return c
	}
	end := a.origin.Add(time.Duration(i+1) * a.limit.Window)
	c.Status = http.StatusTooManyRequests
	c.Header.Set("Retry-After", strconv.Itoa(int(math.Ceil(end.Sub(now).Seconds()))))
	return c
}

func TestFixedWindowAtAnyPhase(t *testing.T) {
	limit := target.Limit{N: 20, Window: 4 * time.Second}
	// Where the burst starts within the window: early, middle, late, and
	// inside the short gap after the first call.
	for _, at := range []time.Duration{10 * time.Millisecond, 60 * time.Millisecond, time.Second, 2 * time.Second, 3500 * time.Millisecond, 3990 * time.Millisecond} {
		for _, retryAfter := range []bool{true, false} {
			t.Run(fmt.Sprintf("boundary-%s-before/retry-after=%v", at, retryAfter), func(t *testing.T) {
				clock := fixtures.NewFakeClock(t0)
				var caller Caller = &alignedWindow{clock: clock, limit: limit, origin: t0.Add(limit.Window + at), index: -1 << 62}
				if !retryAfter {
					caller = dropRetryAfter{caller}
				}
				f := Run(context.Background(), caller, Config{Expect: limit, Tolerance: 1, Clock: fakeClock{clock}})
				if !f.Fingerprint.has(FixedWindow) || abs(f.MeasuredLimit-limit.N) > 1 || f.Verdict != VerdictPass {
					t.Errorf("fingerprint %q (candidates %v), limit %d, verdict %s; want a fixed window of 20\n%s%s",
						f.Fingerprint.Algorithm, f.Fingerprint.Candidates, f.MeasuredLimit, f.Verdict, lines(f.Evidence), callLog(f))
				}
				t.Logf("%s: %d calls", f.Fingerprint.Algorithm, f.CallsSpent)
			})
		}
	}
}

// dropRetryAfter is a target whose 429s say nothing of when to retry.
type dropRetryAfter struct{ Caller }

func (d dropRetryAfter) Call(ctx context.Context, kind Kind, key int) Call {
	c := d.Caller.Call(ctx, kind, key)
	c.Header.Del("Retry-After")
	return c
}
