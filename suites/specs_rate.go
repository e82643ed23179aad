package suites

import (
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// RATE: the rate limit, as one ordered workflow after every other spec: a
// quiet period of W, a burst of N (all served), N+1 more at once (the excess
// refused), then the recovery. These are the only specs that provoke 429;
// they bypass the pacer's waiting so they see the raw refusals.
func rateSpecs(rt *runtime) {
	n := rt.cfg.Limit.N
	{
		// The workflow's state lives in the ordered container, for its specs only.
		var first, second *burstResult
		var refusals []*target.Exchange

		quietBurst := func(ctx SpecContext) *burstResult {
			GinkgoHelper()
			rt.reachable()
			rt.status.waiting("the quiet window before the RATE burst", rt.pacer.QuietDelay())
			err := rt.pacer.Quiet(ctx)
			rt.status.waited()
			if err != nil {
				rt.errored(err)
			}
			b, err := fire(ctx, rt, n, rt.chatBody(), rt.chatPath())
			if err != nil {
				rt.errored(err)
			}
			return b
		}

		It("a burst of N after a quiet period of W is served", Clause("RATE-2", CostHigh, n), func(ctx SpecContext) {
			first = quietBurst(ctx)
			served, refused, other := first.tally()
			if other > 0 {
				rt.violated(fmt.Sprintf("%d of %d calls within the limit were neither served nor 429", other, n), first.exs[0])
			}
			if refused > BurstSlack(n) {
				rt.violated(fmt.Sprintf("after a quiet period of %s, %d of a burst of %d were refused with 429 (limit %s, slack %d)",
					rt.cfg.Limit.Window, refused, n, rt.cfg.Limit, BurstSlack(n)), first.pick(true, 2)...)
			}
			rt.note("%d of %d served after a quiet period of %s", served, n, rt.cfg.Limit.Window)
		})

		It("a burst beyond the limit gets 429", Clause("RATE-1", CostHigh, 4*n+2), func(ctx SpecContext) {
			if first == nil { // RATE-2 not selected
				first = quietBurst(ctx)
			}
			served, span, ok := overLimit(ctx, rt, first, &second)
			if !ok {
				// Perhaps a fixed window's boundary fell inside the burst: try once
				// more half a window later, where it cannot fall again.
				if err := rt.status.sleep(ctx, rt.cfg.Limit.Window/2, "half a window before RATE-1's second try"); err != nil {
					rt.errored(err)
				}
				first = quietBurst(ctx)
				served, span, ok = overLimit(ctx, rt, first, &second)
			}
			refusals = append(first.pick(true, 2*n), second.pick(true, 2*n)...)
			sent := len(first.exs) + len(second.exs)
			if !ok {
				rt.violatedBurst(fmt.Sprintf("in both tries after a quiet window, %d of %d calls sent at once (within %s) were served; the limit %s allows at most %d",
					served, sent, span.Round(time.Millisecond), rt.cfg.Limit, MaxServed(rt.cfg.Limit, span)), sent, second.pick(false, 2)...)
			}
			rt.note("%d of %d served, %d refused with 429 within %s", served, sent, len(refusals), span.Round(time.Millisecond))
		})

		It("a 429 carries Retry-After", Clause("RATE-4", CostNone, 0), func(ctx SpecContext) {
			if len(refusals) == 0 {
				Skip("no 429 was provoked (see RATE-1)")
			}
			for _, ex := range refusals {
				v := ex.Header.Get("Retry-After")
				if v == "" {
					rt.violated("a 429 came without Retry-After", ex)
				}
				if _, err := judge.ParseRetryAfter(v, time.Now()); err != nil {
					rt.violated(fmt.Sprintf("a 429 whose %v", err), ex)
				}
			}
			rt.note("Retry-After %q", refusals[0].Header.Get("Retry-After"))
		})

		It("recovers once Retry-After or the window has passed", Clause("RATE-3", CostLow, 2), func(ctx SpecContext) {
			if len(refusals) == 0 {
				Skip("no 429 was provoked (see RATE-1)")
			}
			wait := RetryWait(refusals, rt.cfg.Limit.Window, time.Now())
			if err := rt.status.sleep(ctx, wait+50*time.Millisecond, "Retry-After before the RATE-3 recovery call"); err != nil {
				rt.errored(err)
			}
			ex := rawCall(ctx, rt)
			if judge.CheckServed(ex) == nil {
				rt.note("served again %s after the refusals", wait.Round(time.Millisecond))
				return
			}
			// Retry-After may be shorter than the limiter's memory: a whole window
			// after the last call of the burst, any limiter serves again.
			if err := rt.status.sleep(ctx, time.Until(second.done.Add(PaceWindow(rt.cfg.Limit.Window))), "a whole window after the burst"); err != nil {
				rt.errored(err)
			}
			again := rawCall(ctx, rt)
			if err := judge.CheckServed(again); err != nil {
				rt.violated(fmt.Sprintf("still refused a whole window (%s) after the burst: %v", rt.cfg.Limit.Window, err), ex, again)
			}
			rt.note("served again a window after the burst (not after Retry-After %s)", wait.Round(time.Millisecond))
		})

		It("reports rate-limit headers", Clause("RATE-5", CostNone, 0), func(ctx SpecContext) {
			var seen []*target.Exchange
			if first != nil && len(first.exs) > 0 {
				seen = append(seen, first.exs[0])
			}
			if len(refusals) > 0 {
				seen = append(seen, refusals[0])
			}
			if len(seen) == 0 {
				Skip("no burst was made (see RATE-1, RATE-2)")
			}
			var parts []string
			for _, ex := range seen {
				h := judge.RateLimitHeaders(ex.Header)
				keys := make([]string, 0, len(h))
				for k := range h {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				var kv []string
				for _, k := range keys {
					kv = append(kv, k+": "+h[k])
				}
				if len(kv) == 0 {
					kv = []string{"no rate-limit headers"}
				}
				parts = append(parts, fmt.Sprintf("on %d: %s", ex.Status, strings.Join(kv, ", ")))
			}
			rt.observe(strings.Join(parts, "; ") + " (whether models and refused calls count: see the ratelimit command)")
		})
	}
}

// overLimit fires N+1 more calls right after first and judges the two bursts
// together: at least one 429, and no more served than a limiter keeping N/W
// can serve within their span.
func overLimit(ctx SpecContext, rt *runtime, first *burstResult, second **burstResult) (served int, span time.Duration, ok bool) {
	GinkgoHelper()
	n := rt.cfg.Limit.N
	b, err := fire(ctx, rt, n+1, rt.chatBody(), rt.chatPath())
	if err != nil {
		rt.errored(err)
	}
	*second = b
	span = b.launched.Sub(first.start)
	if span > rt.cfg.Limit.Window/2 {
		rt.errored(fmt.Errorf("the bursts took %s, over half the window %s: the target answers too slowly to tell a limit from slowness; check with a longer window",
			span.Round(time.Millisecond), rt.cfg.Limit.Window))
	}
	s1, _, _ := first.tally()
	s2, r2, _ := b.tally()
	served = s1 + s2
	return served, span, r2 > 0 && served <= MaxServed(rt.cfg.Limit, span)
}

// rawCall is one unpaced chat call that sees a raw 429.
func rawCall(ctx SpecContext, rt *runtime) *target.Exchange {
	GinkgoHelper()
	ex, err := rt.client.Do(burst(ctx), target.Request{Method: "POST", Path: rt.chatPath(), Key: rt.cfg.Keys.API, Body: rt.chatBody()})
	if err != nil {
		rt.errored(err)
	}
	return ex
}
