package judge

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

var rt0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// call is one RATE call sent at ms after rt0 on path, answered 1 ms later
// (or after answerMS), with the given outcome.
func call(path string, ms int, o RateOutcome, retryAfter string) RateCall {
	c := RateCall{Path: path, Sent: rt0.Add(time.Duration(ms) * time.Millisecond)}
	c.Answered = c.Sent.Add(time.Millisecond)
	h := http.Header{}
	switch o {
	case CallServed:
		h.Set("Content-Type", "application/json")
		c.Ex = &target.Exchange{Status: 200, Header: h, Body: []byte(goodChat)}
	case CallRefused:
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		c.Ex = &target.Exchange{Status: 429, Header: h, Body: []byte(`{"error":{"message":"slow down"}}`)}
	case CallOther:
		h.Set("Content-Type", "application/json")
		c.Ex = &target.Exchange{Status: 200, Header: h, Body: []byte(`{"status":"ok"}`)}
	case CallUnanswered:
		c.Err = errors.New("timed out")
	}
	return c
}

// burstOf is served calls then refused ones, all sent within spreadMS.
func burstOf(path string, served, refused, spreadMS int) []RateCall {
	var out []RateCall
	n := served + refused
	for i := range n {
		o := CallServed
		if i >= served {
			o = CallRefused
		}
		out = append(out, call(path, i*spreadMS/max(n, 1), o, "1"))
	}
	return out
}

const primary = "/ai/v1/chat/completions"

var lim20 = target.Limit{N: 20, Window: time.Second}

func wantErr(t *testing.T, name string, err error, contains string) {
	t.Helper()
	switch {
	case contains == "" && err != nil:
		t.Errorf("%s: unexpected violation: %v", name, err)
	case contains != "" && err == nil:
		t.Errorf("%s: no violation found, want one naming %q", name, contains)
	case contains != "" && !strings.Contains(err.Error(), contains):
		t.Errorf("%s: %v, want it to name %q", name, err, contains)
	}
}

func TestOutcomeAndTally(t *testing.T) {
	calls := []RateCall{call(primary, 0, CallServed, ""), call(primary, 0, CallRefused, "1"), call(primary, 0, CallUnanswered, ""), call(primary, 0, CallOther, "")}
	got := Tally(calls)
	if got != (RateTally{Served: 1, Refused: 1, Unanswered: 1, Other: 1}) || got.NotRefused() != 3 {
		t.Fatalf("tally %+v", got)
	}
	// A 200 whose body is a health document is not served (the one definition).
	if calls[3].Outcome() != CallOther {
		t.Error("a health document counted as served")
	}
}

// rateCase is a set of calls and what a RATE judgement must say of it: ""
// holds, else a violation naming violated.
type rateCase struct {
	name     string
	calls    []RateCall
	violated string
}

func judgeCases(t *testing.T, judgement func(target.Limit, []RateCall) error, cases []rateCase) {
	t.Helper()
	for _, c := range cases {
		wantErr(t, c.name, judgement(lim20, c.calls), c.violated)
	}
}

func TestWithinLimit(t *testing.T) {
	judgeCases(t, WithinLimit, []rateCase{
		{"all of N served", burstOf(primary, 20, 0, 10), ""},
		{"N of N+k served", burstOf(primary, 20, 5, 10), ""},
		{"slack refused", burstOf(primary, 18, 7, 10), ""},
		{"half the limit", burstOf(primary, 10, 15, 10), "only 10 were served"},
		{"a lowered limit after a penalty", burstOf(primary, 15, 5, 10), "only 15"},
		{"one-at-a-time backend still working", append(burstOf(primary, 5, 5, 10), repeat(call(primary, 1, CallUnanswered, ""), 15)...), ""},
		{"a 200 that is not a completion", append(burstOf(primary, 19, 0, 10), call(primary, 3, CallOther, "")), "neither a chat completion nor a 429"},
		// Refusals written as 200 error bodies beyond the limit are RATE-1's
		// and ERR-1's to judge; within the limit, each call was served.
		{"the excess answered 200 with an error", append(burstOf(primary, 20, 0, 10), repeat(call(primary, 11, CallOther, ""), 5)...), ""},
		{"errors within the limit", append(burstOf(primary, 14, 0, 10), repeat(call(primary, 11, CallOther, ""), 11)...), "neither a chat completion nor a 429, more than the 5"},
	})
}

func repeat(c RateCall, n int) []RateCall {
	out := make([]RateCall, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func TestOverLimit(t *testing.T) {
	judgeCases(t, OverLimit, []rateCase{
		{"excess refused", burstOf(primary, 20, 5, 5), ""},
		{"a token bucket's refill and the slack", burstOf(primary, 23, 2, 50), ""},
		{"no limiter", burstOf(primary, 25, 0, 5), "none of 25"},
		{"twice the limit", append(burstOf(primary, 25, 0, 5), call(primary, 6, CallRefused, "1")), "25 of 26"},
		// Judged from sends: a slow backend answering late changes nothing.
		{"no limiter behind a one-at-a-time backend", append(burstOf(primary, 2, 0, 5), repeat(call(primary, 1, CallUnanswered, ""), 23)...), "none of 25"},
	})
	// A long span earns a token bucket's refill: 25 served over 500 ms of sends is within 20/s.
	wantErr(t, "refill over a long span", OverLimit(lim20, append(burstOf(primary, 25, 3, 300), call(primary, 500, CallServed, ""))), "")
}

func TestSharedLimit(t *testing.T) {
	burst := burstOf(primary, 20, 5, 5)
	reached, ok := LimitReached(burst)
	if !ok || !reached.Equal(burst[len(burst)-1].Sent) {
		t.Fatalf("LimitReached = %v %v", reached, ok)
	}
	others := []string{"/ai/chat/completions", "/ai/chat", "/ai/v1", "/ai/v1/completions", "/ai/v1/chat/completions/chat/completions"}
	volley := func(serve map[string]int, at int) []RateCall {
		var out []RateCall
		for _, p := range others {
			for i := range 3 {
				o := CallRefused
				if i < serve[p] {
					o = CallServed
				}
				out = append(out, call(p, at, o, "1"))
			}
		}
		return out
	}
	at := int(reached.Sub(rt0)/time.Millisecond) + 10
	wantErr(t, "shared", SharedLimit(lim20, reached, volley(nil, at)), "")
	wantErr(t, "one refilled token", SharedLimit(lim20, reached, volley(map[string]int{"/ai/chat": 1}, at)), "")
	wantErr(t, "per-route counters", SharedLimit(lim20, reached, volley(map[string]int{"/ai/chat/completions": 3, "/ai/chat": 3, "/ai/v1": 3, "/ai/v1/completions": 3}, at)), "/ai/chat 3")
	wantErr(t, "one path without the limit", SharedLimit(lim20, reached, volley(map[string]int{"/ai/chat": 3}, at)), "/ai/chat 3")
	// 150 ms later a token bucket of 20/s has regained 3 tokens: 3 served is fine.
	wantErr(t, "refill since", SharedLimit(lim20, reached, volley(map[string]int{"/ai/chat": 3}, at+140)), "")
	// A missing route (404) is ROUTE's business.
	missing := volley(nil, at)
	for i := range missing {
		if missing[i].Path == "/ai/chat" {
			missing[i].Ex.Status = 404
		}
	}
	wantErr(t, "404 on a path", SharedLimit(lim20, reached, missing), "")
	// Variants on the primary path: a limiter keyed by model or scheme, or
	// skipping stream calls, lets them through.
	variants := volley(nil, at)
	for _, v := range []string{"no-model", "model-other", "stream", "max-tokens", "bearer"} {
		c := call(primary, at, CallServed, "")
		c.Variant = v
		variants = append(variants, c)
	}
	wantErr(t, "variants served once full", SharedLimit(lim20, reached, variants), "/ai/v1/chat/completions (stream) 1")
	for i := range variants {
		if variants[i].Variant != "" {
			variants[i] = call(primary, at, CallRefused, "1")
		}
	}
	wantErr(t, "variants refused", SharedLimit(lim20, reached, variants), "")
}

func TestRetryAfterGivenAndHonest(t *testing.T) {
	date := rt0.Add(2 * time.Second).Format(http.TimeFormat)
	calls := []RateCall{call(primary, 0, CallServed, ""), call(primary, 0, CallRefused, "1"), call("/ai/chat", 5, CallRefused, date)}
	wantErr(t, "seconds and a date", RetryAfterGiven(calls), "")
	// The earliest promise: "1" answered at 1 ms, and its resolution (a
	// whole second may be up to a second short), pushed back by the 5 ms to
	// the last call sent after it (a limiter counting refusals spends the
	// wait again); the date promises 2 s and its second.
	promise, ok := RetryDeadline(calls)
	if !ok || !promise.At.Equal(rt0.Add(2006*time.Millisecond)) || promise.Path != primary {
		t.Fatalf("promise %v on %s (%v), want 2.006 s on %s", promise.At.Sub(rt0), promise.Path, ok, primary)
	}
	// A fraction states the wait to the millisecond: no second added.
	if p, _ := RetryDeadline([]RateCall{call(primary, 0, CallRefused, "1.5")}); !p.At.Equal(rt0.Add(1501 * time.Millisecond)) {
		t.Errorf("Retry-After 1.5: promise %v, want 1.501 s", p.At.Sub(rt0))
	}
	// A path whose Retry-After is short is the earliest promise: its own
	// path is probed then.
	short := append(calls, call("/ai/v1", 5, CallRefused, "0"))
	if p, _ := RetryDeadline(short); p.Path != "/ai/v1" || !p.At.Equal(rt0.Add(1006*time.Millisecond)) {
		t.Errorf("short Retry-After on /ai/v1: promise %v on %s", p.At.Sub(rt0), p.Path)
	}
	// The date is read against the response's Date: a target whose clock is
	// 5 s behind ours still gives an honest 2 s wait.
	skewed := call("/ai/chat", 5, CallRefused, rt0.Add(-3*time.Second).Format(http.TimeFormat))
	skewed.Ex.Header.Set("Date", rt0.Add(-5*time.Second).Format(http.TimeFormat))
	if p, ok := RetryDeadline([]RateCall{skewed}); !ok || p.At.Sub(skewed.Answered) != 3*time.Second {
		t.Errorf("skewed date: promise %v after the answer, want 2s and its second", p.At.Sub(skewed.Answered))
	}
	if _, ok := RetryDeadline([]RateCall{call(primary, 0, CallRefused, "")}); ok {
		t.Error("a promise from a 429 without Retry-After")
	}
	missing := append(calls, call("/ai/v1", 6, CallRefused, ""), call("/ai/v1", 7, CallRefused, "soon"))
	wantErr(t, "missing on one path", RetryAfterGiven(missing), "/ai/v1: Retry-After is empty")
	wantErr(t, "garbage", RetryAfterGiven(missing), "neither seconds nor an HTTP date")

	wantErr(t, "served after the wait", RetryAfterHonest(promise, call(primary, 2010, CallServed, "")), "")
	wantErr(t, "refused after the wait", RetryAfterHonest(promise, call(primary, 2010, CallRefused, "1")), "shorter than the real wait")
	wantErr(t, "sent within the resolution proves nothing", RetryAfterHonest(promise, call(primary, 1500, CallRefused, "1")), "")
	wantErr(t, "another clause's answer", RetryAfterHonest(promise, call(primary, 2010, CallOther, "")), "")
}

func TestArithmetic(t *testing.T) {
	l := target.Limit{N: 10, Window: 10 * time.Second}
	for span, want := range map[time.Duration]int{0: 11, 5 * time.Millisecond: 12, time.Second: 12, 2 * time.Second: 13} {
		if got := MaxServed(l, span); got != want {
			t.Errorf("MaxServed(%v) = %d, want %d", span, got, want)
		}
	}
	if MaxServed(l, 50*time.Millisecond) >= 2*l.N {
		t.Error("a doubled limit would pass")
	}
	if BurstSlack(5) != 0 || BurstSlack(60) != 6 || OverLimitExtra(60) != 10 {
		t.Error("BurstSlack/OverLimitExtra")
	}
	// The extra calls always exceed what a quick burst may serve beyond N.
	for _, n := range []int{1, 2, 5, 10, 20, 60, 600} {
		l := target.Limit{N: n, Window: time.Minute}
		if n+OverLimitExtra(n) <= MaxServed(l, time.Second) {
			t.Errorf("N=%d: a burst of N+%d is all within MaxServed %d: no limiter would pass", n, OverLimitExtra(n), MaxServed(l, time.Second))
		}
	}
	if Refill(lim20, 0) != 1 || Refill(lim20, 49*time.Millisecond) != 1 || Refill(lim20, 150*time.Millisecond) != 4 {
		t.Errorf("Refill: %d %d %d", Refill(lim20, 0), Refill(lim20, 49*time.Millisecond), Refill(lim20, 150*time.Millisecond))
	}
}

// ERR-1 on the bursts: a 429, or a completion, is fine; a refusal written
// as 200 is not, on whichever path it comes.
func TestNoErrorAs200(t *testing.T) {
	calls := []RateCall{call(primary, 0, CallServed, ""), call(primary, 1, CallRefused, "1"), {Path: primary}}
	wantErr(t, "served and refused", NoErrorAs200(calls), "")
	as200 := call("/ai/chat", 2, CallServed, "")
	as200.Ex.Body = []byte(`{"error":{"message":"Rate limit reached"}}`)
	wantErr(t, "a 429 written as 200", NoErrorAs200(append(calls, as200, as200)), "2 of 5 calls of the bursts answered 2xx without a chat completion (/ai/chat: a refusal answered as success")
}

// RATE-1: beyond the limit a refusal is a 429; a 503 (nginx's default) or a
// 403 is not, while a missing route's 404 and another request's answer are
// other clauses' business.
func TestRefusedWith429(t *testing.T) {
	other := func(path string, status int, variant string) RateCall {
		c := call(path, 3, CallRefused, "")
		c.Ex.Status, c.Variant = status, variant
		return c
	}
	calls := []RateCall{call(primary, 0, CallServed, ""), call(primary, 1, CallRefused, "1"), other("/ai/chat", 404, ""), other(primary, 401, "bearer"), other(primary, 503, "stream"),
		other("/ai/v1", 402, "")} // the key's tokens ran out: BILL-1's refusal, rightly

	wantErr(t, "429s, a missing route, variants", RefusedWith429(calls), "")
	wantErr(t, "503 on one path", RefusedWith429(append(calls, other("/ai/chat", 503, ""), other("/ai/v1", 403, ""))), "2 calls were refused with another status than 429 (/ai/chat 503, /ai/v1 403)")
}
