package suites

import (
	"context"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// The arithmetic of the RATE workflow, as plain functions. A conformant
// limiter may be a fixed window, a sliding window or a token bucket; these
// bounds hold for all three.

// BurstSlack is how many calls of a burst of N after a quiet period a
// limiter may refuse, or serve beyond N, and still keep the limit: a small
// allowance for counting at the edges (RATE-1, RATE-2).
func BurstSlack(n int) int { return n / 10 }

// MaxServed is the most calls a conformant limiter serves from a quiet start
// within span: N, plus what a token bucket refills meanwhile, plus the slack.
// (A fixed window straddled by the burst may serve up to 2N; the workflow
// repeats the burst half a window later rather than allowing that.)
func MaxServed(l target.Limit, span time.Duration) int {
	refill := int(math.Ceil(float64(l.N) * float64(span) / float64(l.Window)))
	return l.N + refill + BurstSlack(l.N)
}

// RetryWait is how long to wait after 429s before calling again: the longest
// Retry-After among them, else the window; never more than two windows.
func RetryWait(refusals []*target.Exchange, w time.Duration, now time.Time) time.Duration {
	wait := time.Duration(0)
	for _, ex := range refusals {
		if d, err := judge.ParseRetryAfter(ex.Header.Get("Retry-After"), now); err == nil && d > wait {
			wait = d
		}
	}
	if wait == 0 {
		wait = w
	}
	return min(wait, 2*w)
}

// burstResult is what one burst of concurrent calls got.
type burstResult struct {
	start, launched, done time.Time // first launch, last launch, last answer
	exs                   []*target.Exchange
}

// tally counts served, refused (429) and other answers.
func (b *burstResult) tally() (served, refused, other int) {
	for _, ex := range b.exs {
		switch {
		case ex.Status == http.StatusTooManyRequests:
			refused++
		case judge.CheckServed(ex) == nil:
			served++
		default:
			other++
		}
	}
	return
}

// withStatus picks up to max exchanges whose status is (or is not) 429.
func (b *burstResult) pick(refused bool, max int) []*target.Exchange {
	var out []*target.Exchange
	for _, ex := range b.exs {
		if (ex.Status == http.StatusTooManyRequests) == refused && len(out) < max {
			out = append(out, ex)
		}
	}
	return out
}

// fire sends n chat calls at once, unpaced, seeing raw 429s.
func fire(ctx context.Context, rt *runtime, n int, body []byte, path string) (*burstResult, error) {
	ctx = burst(ctx)
	res := &burstResult{exs: make([]*target.Exchange, n), start: time.Now()}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.exs[i], errs[i] = rt.client.Do(ctx, target.Request{Method: "POST", Path: path, Key: rt.cfg.Keys.API, Body: body})
		}()
	}
	res.launched = time.Now()
	wg.Wait()
	res.done = time.Now()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}
