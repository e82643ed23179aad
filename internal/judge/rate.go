package judge

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// The RATE clauses as pure functions of the calls a run made and when it
// sent them. Bursts are judged from send times, never from answer times, so a
// slow or one-at-a-time backend is judged like any other. A conformant limiter
// may be a fixed window (opened by a call or aligned to the clock), a sliding
// window or a token bucket, and may count refused calls; every bound here holds
// for all of them.

// RateCall is one call of the RATE workflow: where and when it was sent and
// what came back. Ex is nil when no answer came within the per-attempt timeout.
type RateCall struct {
	Path     string
	Variant  string // the request variant, "" for the burst's own payload
	Sent     time.Time
	Answered time.Time        // when the answer (or the timeout) came
	Ex       *target.Exchange // nil: no answer
	Err      error            // why there is no answer
}

// RateOutcome is what one call got, as the RATE clauses see it.
type RateOutcome uint8

const (
	CallServed     RateOutcome = iota // a chat completion (Completion)
	CallRefused                       // 429
	CallUnanswered                    // no answer within the timeout: not refused
	CallOther                         // any other answer: neither served nor refused
)

// Outcome classifies the call.
func (c RateCall) Outcome() RateOutcome {
	switch {
	case c.Ex == nil:
		return CallUnanswered
	case c.Ex.Status == http.StatusTooManyRequests:
		return CallRefused
	case CheckServed(c.Ex) == nil:
		return CallServed
	}
	return CallOther
}

// RateTally counts the outcomes of some calls.
type RateTally struct{ Served, Refused, Unanswered, Other int }

// Tally counts the calls' outcomes.
func Tally(calls []RateCall) RateTally {
	var t RateTally
	for _, c := range calls {
		switch c.Outcome() {
		case CallServed:
			t.Served++
		case CallRefused:
			t.Refused++
		case CallUnanswered:
			t.Unanswered++
		default:
			t.Other++
		}
	}
	return t
}

// NotRefused is every call the limiter let through, or did not refuse with 429.
func (t RateTally) NotRefused() int { return t.Served + t.Unanswered + t.Other }

func (t RateTally) String() string {
	s := fmt.Sprintf("%d served, %d refused with 429", t.Served, t.Refused)
	if t.Unanswered > 0 {
		s += fmt.Sprintf(", %d unanswered within the timeout", t.Unanswered)
	}
	if t.Other > 0 {
		s += fmt.Sprintf(", %d neither served nor 429", t.Other)
	}
	return s
}

// BurstSlack is how many calls of a burst of N after a quiet period a limiter
// may refuse, or serve beyond N, and still keep the limit: a small allowance
// for counting at the edges (RATE-1, RATE-2, RATE-3).
func BurstSlack(n int) int { return n / 10 }

// OverLimitExtra is how many calls beyond N the RATE burst sends: more than
// the slack and a token bucket's refill during a burst sent within W/50 can
// absorb, so a missing limit, or one twice too high, shows.
func OverLimitExtra(n int) int { return BurstSlack(n) + n/50 + 3 }

// Refill is the most calls any conformant limiter admits afresh within d: a
// token bucket's refill, counting the token it may have been about to gain.
func Refill(l target.Limit, d time.Duration) int {
	if d <= 0 {
		return 1
	}
	return int(float64(l.N)*float64(d)/float64(l.Window)) + 1
}

// MaxServed is the most calls a conformant limiter serves from a quiet start
// within span: N, what a token bucket refills meanwhile, and the slack. (A
// fixed window whose boundary falls inside the span may serve up to 2N; the
// workflow tries again half a window later rather than allowing that.)
func MaxServed(l target.Limit, span time.Duration) int {
	refill := int(math.Ceil(float64(l.N) * float64(max(span, 0)) / float64(l.Window)))
	return l.N + refill + BurstSlack(l.N)
}

// SendSpan is the time from the first call sent to the last.
func SendSpan(calls []RateCall) time.Duration {
	if len(calls) == 0 {
		return 0
	}
	first, last := calls[0].Sent, calls[0].Sent
	for _, c := range calls[1:] {
		if c.Sent.Before(first) {
			first = c.Sent
		}
		if c.Sent.After(last) {
			last = c.Sent
		}
	}
	return last.Sub(first)
}

// WithinLimit judges a burst sent at once after a quiet period of W (RATE-2;
// RATE-3 after the recovery wait): of its first N calls at most the slack may
// be refused, and each of them is a chat completion (what the calls beyond N
// get instead of a 429 is RATE-1's and ERR-1's business). A call left
// unanswered within the timeout was not refused: a one-at-a-time backend may
// still be working through the burst.
func WithinLimit(l target.Limit, calls []RateCall) error {
	t := Tally(calls)
	want := min(l.N, len(calls)) - BurstSlack(l.N)
	if excess := len(calls) - min(l.N, len(calls)); t.Other > excess {
		return fmt.Errorf("%d of %d calls sent at once after a quiet period were neither a chat completion nor a 429, more than the %d beyond the limit (%s)",
			t.Other, len(calls), excess, otherStatuses(calls))
	}
	if got := t.Served + t.Unanswered; got < want {
		return fmt.Errorf("of a burst of %d sent at once after a quiet period of %s, only %d were served (%s): the limit %s admits %d (slack %d)",
			len(calls), shortDur(l.Window), t.Served, t, l, min(l.N, len(calls)), BurstSlack(l.N))
	}
	return nil
}

// OverLimit judges a burst of more than N sent after a quiet period (RATE-1):
// its excess is refused with 429, so at most MaxServed(span) calls are not
// refused, where span is measured between the sends.
func OverLimit(l target.Limit, calls []RateCall) error {
	t := Tally(calls)
	span := SendSpan(calls)
	allowed := MaxServed(l, span)
	switch {
	case t.Refused == 0:
		return fmt.Errorf("none of %d calls sent within %s was refused with 429 (%s): the limit %s allows at most %d",
			len(calls), roundDur(span), t, l, allowed)
	case t.NotRefused() > allowed:
		return fmt.Errorf("%d of %d calls sent within %s were not refused (%s): the limit %s allows at most %d",
			t.NotRefused(), len(calls), roundDur(span), t, l, allowed)
	}
	return nil
}

// LimitReached is the latest send time of a refused call among calls: from
// then on the key's limit is known to have been reached (the limiter refused
// after that call was sent).
func LimitReached(calls []RateCall) (time.Time, bool) {
	var at time.Time
	for _, c := range calls {
		if c.Outcome() == CallRefused && c.Sent.After(at) {
			at = c.Sent
		}
	}
	return at, !at.IsZero()
}

// SharedLimit judges calls sent on the other chat paths once the key's limit
// was reached at reached (RATE-1 across paths): the limit is the key's, so
// they share what the limiter may have regained since (Refill) and no more.
// A path that answers them otherwise (404) is ROUTE's business, not this one's.
func SharedLimit(l target.Limit, reached time.Time, others []RateCall) error {
	if len(others) == 0 {
		return nil
	}
	var last time.Time
	notRefused := map[string]int{}
	total := 0
	for _, c := range others {
		if c.Sent.After(last) {
			last = c.Sent
		}
		if o := c.Outcome(); o == CallServed || o == CallUnanswered {
			at := c.Path
			if c.Variant != "" {
				at += " (" + c.Variant + ")"
			}
			notRefused[at]++
			total++
		}
	}
	allowed := Refill(l, last.Sub(reached))
	if total <= allowed {
		return nil
	}
	paths := make([]string, 0, len(notRefused))
	for p, n := range notRefused {
		paths = append(paths, fmt.Sprintf("%s %d", p, n))
	}
	sort.Strings(paths)
	return fmt.Errorf("once the key's limit %s was reached on one path, %d of %d calls on the other paths and with other requests were not refused (%s) within %s; "+
		"the limit is the key's across every path, model, scheme and request, which allows at most %d", l, total, len(others), strings.Join(paths, ", "),
		roundDur(last.Sub(reached)), allowed)
}

// NoErrorAs200 is ERR-1 on the calls of the RATE bursts: every 2xx is a
// chat completion, never a refusal (the limit's above all) written as
// success. The first failure on each path is told.
func NoErrorAs200(calls []RateCall) error {
	var bad []string
	seen := map[string]bool{}
	n := 0
	for _, c := range calls {
		if c.Ex == nil || !is2xx(c.Ex.Status) {
			continue
		}
		if err := CheckNotAnErrorAs200(c.Ex); err != nil {
			n++
			if !seen[c.Path] {
				seen[c.Path] = true
				bad = append(bad, fmt.Sprintf("%s: %v", c.Path, err))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d calls of the bursts answered 2xx without a chat completion (%s)", n, len(calls), strings.Join(bad, "; "))
}

// RefusedWith429 judges the calls of a RATE try sent with the burst's own
// payload, on its paths and on the others once the key's limit was reached
// (RATE-1): beyond the limit a call is refused with 429, not with another
// refusal status (503, as nginx's limiter answers by default, or 403).
// Other answers (404 for a missing route, a 2xx) are other clauses' business.
func RefusedWith429(others []RateCall) error {
	var bad []string
	n := 0
	for _, c := range others {
		if c.Variant != "" || c.Outcome() != CallOther {
			continue
		}
		// 402 is left out: a key whose tokens ran out during the bursts is
		// refused so rightly (BILL-1), whatever the limit.
		if s := c.Ex.Status; s >= 500 || s == http.StatusForbidden {
			n++
			bad = append(bad, fmt.Sprintf("%s %d", c.Path, s))
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("beyond the key's limit, %d calls were refused with another status than 429 (%s)", n, strings.Join(dedupe(bad), ", "))
}

// RetryAfterGiven judges the 429s among calls (RATE-4): each carries a
// Retry-After a client can use, in seconds or as an HTTP date.
func RetryAfterGiven(calls []RateCall) error {
	var bad []string
	refusals := 0
	for _, c := range calls {
		if c.Outcome() != CallRefused {
			continue
		}
		refusals++
		if _, err := retryAfterWait(c); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", c.Path, err))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d 429s came without a usable Retry-After (%s)", len(bad), refusals, strings.Join(dedupe(bad), "; "))
}

// RetryPromise is what one refusal's Retry-After promises: a call sent on
// Path from At on is served.
type RetryPromise struct {
	At   time.Time
	Path string
	Ex   *target.Exchange // the refusal
}

// RetryDeadline is the earliest promise among the refusals (RATE-4). Each
// refusal promises its Retry-After (to its resolution: a whole-second value
// may be up to a second short) from when it came back, pushed back by the
// calls sent after it (a limiter that counts refused calls spends the wait
// again on each): so an honest limiter's promises all fall after its real
// wait, and a path whose Retry-After is short shows as the earliest. ok is
// false when no refusal gave a usable Retry-After.
func RetryDeadline(calls []RateCall) (earliest RetryPromise, ok bool) {
	var lastSent time.Time
	for _, c := range calls {
		if c.Sent.After(lastSent) {
			lastSent = c.Sent
		}
	}
	for _, c := range calls {
		if c.Outcome() != CallRefused {
			continue
		}
		d, err := retryAfterWait(c)
		if err != nil {
			continue
		}
		at := c.Answered.Add(d).Add(target.RetryAfterResolution(c.Ex.Header.Get("Retry-After"))).Add(lastSent.Sub(c.Sent))
		if !ok || at.Before(earliest.At) {
			earliest, ok = RetryPromise{At: at, Path: c.Path, Ex: c.Ex}, true
		}
	}
	return earliest, ok
}

// RetryAfterHonest judges the call sent on the promise's path once it was
// due (RATE-4): it is not refused with 429 again. A probe sent before proves
// nothing, and any other answer (a missing route, a 5xx) is another clause's.
func RetryAfterHonest(promise RetryPromise, probe RateCall) error {
	if probe.Sent.Before(promise.At) || probe.Outcome() != CallRefused {
		return nil
	}
	return fmt.Errorf("a call on %s sent %s after its Retry-After (%q) had passed was refused with 429 again: Retry-After is shorter than the real wait",
		promise.Path, roundDur(probe.Sent.Sub(promise.At)), promise.Ex.Header.Get("Retry-After"))
}

// retryAfterWait is the wait a refusal's Retry-After asks for, a date read
// against the server's clock (target.ServerNow).
func retryAfterWait(c RateCall) (time.Duration, error) {
	return ParseRetryAfter(c.Ex.Header.Get("Retry-After"), target.ServerNow(c.Ex.Header, c.Answered))
}

// PickOutcome picks up to n calls with the outcome: evidence.
func PickOutcome(calls []RateCall, o RateOutcome, n int) []*target.Exchange {
	var out []*target.Exchange
	for _, c := range calls {
		if c.Outcome() == o && c.Ex != nil && len(out) < n {
			out = append(out, c.Ex)
		}
	}
	return out
}

func otherStatuses(calls []RateCall) string {
	var s []string
	for _, c := range calls {
		if c.Outcome() == CallOther {
			s = append(s, fmt.Sprintf("%s %d: %v", c.Path, c.Ex.Status, CheckServed(c.Ex)))
		}
	}
	return strings.Join(dedupe(s), "; ")
}

// dedupe keeps the first of each message, in order, and at most four.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) > 4 {
		out = append(out[:4], fmt.Sprintf("… %d more", len(out)-4))
	}
	return out
}

func roundDur(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func shortDur(d time.Duration) string { return target.Limit{N: 1, Window: d}.String()[2:] }
