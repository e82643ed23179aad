package suites

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// RATE: the rate limit over its domain, as one ordered workflow after every
// other spec. After a quiet period of W, N and the excess go at once to the
// primary chat path and, as soon as the first 429 comes back, a few calls to
// each other chat path and one through the SDK (RATE-2: N served; RATE-1: the
// excess refused, on every path, the limit being the key's; SDK-2). As soon
// as W has passed, a full burst of N and a few more (RATE-3: N served again),
// then one call once every Retry-After has passed (RATE-4). About
// 2N + N/5 + 22 calls and three windows and a Retry-After; the only specs
// that provoke 429. The specs gather the calls with their send times;
// internal/judge judges them.
func rateSpecs(rt *runtime) {
	l := rt.cfg.Limit
	try, recovery := tryShape(l.N), recoveryShape(l.N)
	var (
		path        string
		body        []byte
		first       *rateTry // the try RATE-2 judges
		last        *rateTry // the try RATE-1 settled on
		tries       int
		refused     []judge.RateCall // every 429 of the workflow, for RATE-4 and ERR-2
		sent        []judge.RateCall // every call of the workflow's bursts, for ERR-1
		latest      []judge.RateCall // the calls of the latest burst: RATE-4 probes their promises
		latestRetry *retryProbe      // RATE-4's call, made during the latest burst
		answered    time.Time        // the workflow's last answer: quiet periods count from it
	)
	seen := func(calls ...judge.RateCall) {
		if t := lastAnswer(calls); t.After(answered) {
			answered = t
		}
	}
	burstOnce := func(ctx SpecContext, shape burstShape) *rateTry {
		GinkgoHelper()
		rt.reachable()
		if path == "" {
			path, body = rt.rateRoute()
		}
		t, err := rt.rateBurst(ctx, path, body, answered, shape)
		if err != nil {
			rt.errored(err)
		}
		latest, latestRetry = t.all(), t.retry
		sent = append(sent, latest...)
		seen(latest...)
		for _, c := range latest {
			if c.Outcome() == judge.CallRefused {
				refused = append(refused, c)
			}
		}
		return t
	}
	tryOnce := func(ctx SpecContext) *rateTry {
		GinkgoHelper()
		tries++
		return burstOnce(ctx, try)
	}

	It("after a quiet period of W, a burst of N is served", Clause("RATE-2", CostHigh, try.calls()), func(ctx SpecContext) {
		first = tryOnce(ctx)
		last = first
		if unanswered(first.burst) {
			Skip(fmt.Sprintf("none of the %d calls was answered within the timeout: nothing to tell of what is served (raise --timeout)", len(first.burst)))
		}
		if err := judge.WithinLimit(l, first.burst); err != nil {
			rt.violatedBurst(err.Error(), len(first.burst), pickFor(first.burst, judge.CallRefused, judge.CallOther)...)
		}
		rt.note("%s of a burst of %d on %s", judge.Tally(first.burst), len(first.burst), path)
	})

	It("beyond the limit, on every chat path, requests get 429", Clause("RATE-1", CostHigh, try.calls()), func(ctx SpecContext) {
		if last == nil { // RATE-2 not selected: this spec makes the one try
			last = tryOnce(ctx)
		}
		err := overLimit(l, last, rt.unservedPaths())
		if err != nil && tries == 1 && first != nil {
			// A window aligned to the clock may have turned during the try:
			// once more after a quiet period, where it falls elsewhere.
			last = tryOnce(ctx)
			err = overLimit(l, last, rt.unservedPaths())
		}
		if err != nil {
			rt.violatedBurst(fmt.Sprintf("%v (in %d tries after a quiet period)", err, tries), len(last.burst),
				append(pickFor(last.burst, judge.CallServed, judge.CallOther), pickFor(last.cross, judge.CallServed, judge.CallOther)...)...)
		}
		rt.note("%s within %s on %s; then on the other chat paths %s", judge.Tally(last.burst),
			judge.SendSpan(last.burst).Round(time.Millisecond), path, judge.Tally(last.cross))
	})

	It("once W has passed, a full burst of N is served again", Clause("RATE-3", CostHigh, recovery.calls()), func(ctx SpecContext) {
		if len(refused) == 0 {
			Skip("no 429 was provoked (see RATE-1)")
		}
		// As soon as W has passed since the refusals: a limiter that keeps a
		// lowered limit, or a ban, for the next window shows. The calls beyond
		// N bring a fresh 429 on every chat path for RATE-4.
		again := burstOnce(ctx, recovery).burst
		if unanswered(again) {
			Skip(fmt.Sprintf("none of the %d calls was answered within the timeout: nothing to tell of what is served (raise --timeout)", len(again)))
		}
		if err := judge.WithinLimit(l, again); err != nil {
			rt.violatedBurst("after 429s and a quiet period: "+err.Error(), len(again), pickFor(again, judge.CallRefused, judge.CallOther)...)
		}
		rt.note("after 429s and a quiet period of %s: %s", l.Window, judge.Tally(again))
	})

	It("a 429 carries Retry-After, and a request sent once it has passed is served", Clause("RATE-4", CostLow, 1), func(ctx SpecContext) {
		if len(refused) == 0 {
			Skip("no 429 was provoked (see RATE-1)")
		}
		given := judge.RetryAfterGiven(refused)
		// RATE-3's burst made the call on the earliest promise's path as soon
		// as it was due; without RATE-3, it is made now from the latest try.
		rp := latestRetry
		if rp == nil {
			var err error
			if rp, err = rt.probeRetry(ctx, latest, body); err != nil {
				rt.errored(err)
			}
		}
		if given != nil {
			rt.violated(given.Error(), pickFor(refused, judge.CallRefused)...)
		}
		switch {
		case rp == nil:
			rt.note("no Retry-After to wait out in the latest burst (%s)", judge.Tally(latest))
		case rp.probe == nil:
			rt.note("Retry-After asks for %s, over two windows: not waited out", rp.wait.Round(time.Second))
		default:
			seen(*rp.probe)
			if err := judge.RetryAfterHonest(rp.promise, *rp.probe); err != nil {
				rt.violated(err.Error(), rp.promise.Ex, rp.probe.Ex)
			}
			rt.note("Retry-After %q on %s; a call there %s after it passed: %s", rp.promise.Ex.Header.Get("Retry-After"), rp.promise.Path,
				rp.probe.Sent.Sub(rp.promise.At).Round(time.Millisecond), judge.Tally([]judge.RateCall{*rp.probe}))
		}
	})

	It("a 429 reaches the OpenAI SDK as a typed error", Clause("SDK-2", CostNone, 0), func(ctx SpecContext) {
		if last == nil || last.sdk == nil {
			Skip("no SDK call was made while the key was refused (see RATE-1)")
		}
		if judge.CheckServed(last.sdk.Ex) == nil {
			Skip("the SDK call was served: the limiter had room again by then")
		}
		if _, err := sdkTypedError(last.sdk); err != nil {
			rt.violated(err.Error(), last.sdk.SDKExs...)
		}
		rt.note("a %d reached the SDK as a typed *openai.Error", last.sdk.Ex.Status)
	})

	It("every 429 carries the error envelope", Clause("ERR-2", CostNone, 0), func(ctx SpecContext) {
		if len(refused) == 0 {
			Skip("no 429 was provoked (see RATE-1)")
		}
		if err := errorEnvelopes(refused); err != nil {
			rt.violated(err.Error(), pickFor(refused, judge.CallRefused)...)
		}
		rt.note("%d 429 bodies, each an error envelope", len(refused))
	})

	It("no call of the bursts is refused with 200", Clause("ERR-1", CostNone, 0), func(ctx SpecContext) {
		if len(sent) == 0 {
			Skip("no burst was made (see RATE-1, RATE-2)")
		}
		if err := judge.NoErrorAs200(sent); err != nil {
			rt.violated(err.Error(), pickFor(sent, judge.CallOther)...)
		}
		rt.note("%d calls of the bursts: each 2xx a chat completion", len(sent))
	})

	It("reports rate-limit headers", Clause("RATE-5", CostNone, 0), func(ctx SpecContext) {
		if first == nil && last == nil {
			Skip("no burst was made (see RATE-1, RATE-2)")
		}
		t := last
		if first != nil {
			t = first
		}
		var seen []*target.Exchange
		if served := pickFor(t.burst, judge.CallServed); len(served) > 0 {
			seen = append(seen, served[0])
		}
		seen = append(seen, refusalsBefore(refused, 1)...)
		var parts []string
		for _, ex := range seen {
			parts = append(parts, fmt.Sprintf("on %d: %s", ex.Status, rateHeaderList(ex)))
		}
		if len(parts) == 0 {
			parts = []string{"no answer to show"}
		}
		rt.observe(strings.Join(parts, "; ") + " (whether models and refused calls count: see the ratelimit command)")
	})
}

// overLimit is RATE-1 on one try: the excess of the burst refused, and the
// other chat paths refused (with 429) once the key's limit was reached. A
// path the rows found not serving the payload at all is its route's
// business: its calls are left out of the 429 check.
func overLimit(l target.Limit, t *rateTry, unserved map[string]bool) error {
	if err := judge.OverLimit(l, t.burst); err != nil {
		return err
	}
	served := slices.DeleteFunc(t.all(), func(c judge.RateCall) bool { return unserved[c.Path] })
	if err := judge.RefusedWith429(served); err != nil {
		return err
	}
	return judge.SharedLimit(l, t.reached, t.cross)
}

// errorEnvelopes is ERR-2 on the 429s (every error reply the run receives):
// the first failure on each path.
func errorEnvelopes(refused []judge.RateCall) error {
	var bad []string
	seen := map[string]bool{}
	for _, c := range refused {
		if err := judge.ErrorEnvelope(c.Ex); err != nil && !seen[c.Path] {
			seen[c.Path] = true
			bad = append(bad, fmt.Sprintf("429 on %s: %v", c.Path, err))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New(strings.Join(bad, "; "))
}

// pickFor is up to two exchanges of each outcome: evidence.
func pickFor(calls []judge.RateCall, outcomes ...judge.RateOutcome) []*target.Exchange {
	var out []*target.Exchange
	for _, o := range outcomes {
		out = append(out, judge.PickOutcome(calls, o, 2)...)
	}
	return out
}

// refusalsBefore is the last n refusals' exchanges.
func refusalsBefore(refused []judge.RateCall, n int) []*target.Exchange {
	var out []*target.Exchange
	for i := max(0, len(refused)-n); i < len(refused); i++ {
		out = append(out, refused[i].Ex)
	}
	return out
}

// rateHeaderList is the rate-limit headers of an answer, sorted (RATE-5).
func rateHeaderList(ex *target.Exchange) string {
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
		return "no rate-limit headers"
	}
	return strings.Join(kv, ", ")
}
