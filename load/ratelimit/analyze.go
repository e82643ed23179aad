package ratelimit

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Analyze turns a call log (sorted by send time) into findings: a pure
// function of the calls and the configuration.
func Analyze(calls []Call, cfg Config) *Findings {
	cfg = cfg.withDefaults()
	w := cfg.Expect.Window
	f := &Findings{Schema: SchemaFindings, Expect: cfg.Expect, Tolerance: cfg.Tolerance, Slack: cfg.Slack, Calls: calls, CallsSpent: len(calls)}
	for _, c := range calls {
		f.Tokens += c.Tokens
	}
	f.Timeline = timeline(calls, w)
	chat := filter(calls, func(c Call) bool { return c.Key == 0 && c.Kind == KindChat })
	f.SustainedMax = sustainedMax(chat, w)

	b := burstOf(calls)
	f.BurstCalls, f.BurstCapacity, f.BurstDuration = b.calls, b.accepted, b.end.Sub(b.start)
	burstStart := b.start
	first429 := firstRefused(chat)
	if f.BurstCalls == 0 {
		f.Verdict, f.VerdictDetail = VerdictIncomplete, "no burst was made"
		f.Fingerprint = Fingerprint{Algorithm: Unknown}
		return f
	}
	f.NoLimit = first429 == nil && f.BurstCalls >= 2*cfg.Expect.N
	f.Fingerprint = fingerprint(calls, cfg, f.BurstCapacity, f.BurstDuration)
	f.MeasuredLimit = measuredLimit(f)
	f.Evidence = evidence(f, first429)
	f.RefusedCount = orNotDetermined(f.Fingerprint.RefusedCount, "yes: only models that charge refused calls fit", "no: only models that ignore refused calls fit")
	if f.Fingerprint.Algorithm == FixedWindow {
		f.RefusedCount = "no matter: a fixed window refuses only when it is full anyway"
	}

	if first429 != nil {
		f.Reset = resetBound(chat, *first429)
		f.Refill = describeRefill(f, chat, *first429, burstStart)
		f.RetryAfter = retryAfterFinding(calls, *first429, f.Reset)
	} else {
		f.Refill = "not measured: no 429 was seen"
		f.RetryAfter = RetryAfterFinding{Format: RetryAfterAbsent}
	}
	f.HeldBeyondWindow = heldBeyondWindow(f, chat, first429, b, cfg)
	f.Headers = headerFindings(chat, first429, f.MeasuredLimit, cfg.Tolerance, f.Reset)
	f.AcceptedLatency = medianLatency(filter(calls, Call.Accepted))
	refused := filter(calls, Call.Refused)
	f.RefusedLatency = medianLatency(refused)
	f.RefusedBilled = refusedBilled(refused)
	f.ModelsCount = modelsCount(calls)
	f.PerKey = perKey(calls)
	f.Verdict, f.VerdictDetail = verdict(f)
	return f
}

func filter(calls []Call, keep func(Call) bool) []Call {
	var out []Call
	for _, c := range calls {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func firstRefused(chat []Call) *Call {
	var first *Call
	for i, c := range chat {
		if c.Refused() && (first == nil || c.Received().Before(first.Received())) {
			first = &chat[i]
		}
	}
	return first
}

// measuredLimit is the fitted capacity of the fingerprinted model, else the
// burst capacity.
func measuredLimit(f *Findings) int {
	if len(f.Fingerprint.Candidates) == 1 {
		for _, h := range f.Fingerprint.Tried {
			if h.Consistent && h.Family == f.Fingerprint.Candidates[0] {
				return h.Limit
			}
		}
	}
	return f.BurstCapacity
}

// sustainedMax is the most calls served within any window of W.
func sustainedMax(chat []Call, w time.Duration) int {
	var ok []time.Time
	for _, c := range chat {
		if c.Accepted() {
			ok = append(ok, c.Sent)
		}
	}
	best, lo := 0, 0
	for hi := range ok {
		for ok[hi].Sub(ok[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func timeline(calls []Call, w time.Duration) []WindowRow {
	if len(calls) == 0 {
		return nil
	}
	t0 := calls[0].Sent
	var rows []WindowRow
	for _, c := range calls {
		i := int(c.Sent.Sub(t0) / w)
		for len(rows) <= i {
			rows = append(rows, WindowRow{Start: w * time.Duration(len(rows))})
		}
		r := &rows[i]
		if c.Key != 0 || c.Kind != KindChat {
			r.Side++
			continue
		}
		r.Sent++
		switch {
		case c.Accepted():
			r.Accepted++
		case c.Refused():
			r.Refused++
		default:
			r.Other++
		}
	}
	return rows
}

// resetBound brackets the first re-admission after the first 429: after the
// last refusal before it, by the served call (measured from the 429's answer).
func resetBound(chat []Call, first429 Call) *Bound {
	t := first429.Received()
	var lastRefused time.Time
	for _, c := range chat {
		if !c.Sent.After(t) {
			continue
		}
		if c.Accepted() {
			lo := time.Duration(0)
			if !lastRefused.IsZero() {
				lo = lastRefused.Sub(t)
			}
			return &Bound{Lo: lo, Hi: c.Received().Sub(t)}
		}
		if c.Refused() {
			lastRefused = c.Sent
		}
	}
	return nil
}

func describeRefill(f *Findings, chat []Call, first429 Call, burstStart time.Time) string {
	if f.Reset == nil {
		return fmt.Sprintf("no call was served again in %s after the first 429", lastSent(chat).Sub(first429.Received()).Round(time.Millisecond))
	}
	t := first429.Received()
	var first *Call
	for i, c := range chat {
		if c.Sent.After(t) && c.Accepted() {
			first = &chat[i]
			break
		}
	}
	s := fmt.Sprintf("served again %s after the first 429 (%s after the burst began)", f.Reset, first.Sent.Sub(burstStart).Round(time.Millisecond))
	// The volley that re-admitted, or the one right after a single re-admission.
	for _, c := range chat {
		if c.Volley != 0 && !c.Sent.Before(first.Sent) {
			v := filter(chat, func(x Call) bool { return x.Volley == c.Volley })
			served := len(filter(v, Call.Accepted))
			s += fmt.Sprintf("; then a volley of %d got %d served", len(v), served)
			if c.Volley == first.Volley {
				s = strings.Replace(s, "then a volley", "the volley", 1)
			}
			break
		}
	}
	return s
}

func lastSent(calls []Call) time.Time {
	if len(calls) == 0 {
		return time.Time{}
	}
	return calls[len(calls)-1].Sent
}

// evidence explains the fingerprint: each model tried, and what rules it out.
func evidence(f *Findings, first429 *Call) []string {
	var out []string
	if first429 == nil {
		return []string{fmt.Sprintf("no 429 in %d calls: nothing to fingerprint", f.BurstCalls)}
	}
	out = append(out, fmt.Sprintf("burst: %d served in %s, then 429", f.BurstCapacity, f.BurstDuration.Round(time.Millisecond)))
	if f.SustainedMax > f.Expect.N+f.Tolerance {
		out = append(out, fmt.Sprintf("%d served within one %s: only a fixed window (across a boundary) or a bucket admits more than its limit in a window", f.SustainedMax, f.Expect.Window))
	}
	for _, family := range []string{FixedWindow, SlidingLog, TokenBucket} {
		var plain, charged Hypothesis
		for _, h := range f.Fingerprint.Tried {
			if h.Family == family && h.RefusedCount {
				charged = h
			} else if h.Family == family {
				plain = h
			}
		}
		switch {
		case plain.Consistent && charged.Consistent:
			out = append(out, fmt.Sprintf("%s fits: %s", family, plain.Detail))
		case plain.Consistent:
			out = append(out, fmt.Sprintf("%s fits if refused calls do not count: %s (counting them, it %s)", family, plain.Detail, charged.Contradiction))
		case charged.Consistent:
			out = append(out, fmt.Sprintf("%s fits if refused calls count: %s (not counting them, it %s)", family, charged.Detail, plain.Contradiction))
		default:
			out = append(out, fmt.Sprintf("not a %s: it %s", family, plain.Contradiction))
		}
	}
	return out
}

// heldBeyondWindow finds a refusal that no limiter of the expected window
// explains: after the whole burst was older than W, with nothing served since
// the first 429 (and refused calls not counting, which could explain it).
func heldBeyondWindow(f *Findings, chat []Call, first429 *Call, b burstStats, cfg Config) string {
	if first429 == nil || f.Fingerprint.RefusedCount == "yes" {
		return ""
	}
	free := b.end.Add(cfg.Expect.Window + cfg.Slack)
	for _, c := range chat {
		switch {
		case !c.Sent.After(first429.Sent):
		case c.Accepted():
			return ""
		case c.Refused() && c.Sent.After(free):
			return fmt.Sprintf("still refused %s after the burst began (call #%d, %s), more than the window %s, with nothing served since the first 429: a ban, not a rate limit (RATE-3)",
				c.Sent.Sub(b.start).Round(time.Millisecond), c.Seq, c.Phase, cfg.Expect.Window)
		}
	}
	return ""
}

func retryAfterFinding(calls []Call, first429 Call, reset *Bound) RetryAfterFinding {
	d, format := parseRetryAfter(first429)
	r := RetryAfterFinding{Format: format, Raw: first429.Header.Get("Retry-After")}
	if format != RetryAfterSeconds && format != RetryAfterDate {
		return r
	}
	r.Delay = d
	// A probe judges Retry-After only if no chat call on the key was served
	// since the 429: one served in between took what had come back.
	servedBefore := func(probe Call) *Call {
		for i, c := range calls {
			if c.Key == 0 && c.Kind == KindChat && c.Accepted() && c.Sent.After(first429.Sent) && c.Sent.Before(probe.Sent) {
				return &calls[i]
			}
		}
		return nil
	}
	for _, c := range calls {
		if c.Phase != PhaseRetry && c.Phase != PhaseRetryHalf {
			continue
		}
		if s := servedBefore(c); s != nil && c.Refused() {
			verdict := fmt.Sprintf("not judged: call #%d (%s) was served before it took the slot", s.Seq, s.Phase)
			if c.Phase == PhaseRetry {
				r.ServedAt = "a retry at Retry-After was refused, " + verdict
			} else {
				r.RefusedAtHalf = "one at half of it was refused, " + verdict
			}
			continue
		}
		if c.Phase == PhaseRetry {
			short := " (not honest)"
			if c.Refused() && target.RetryAfterResolution(r.Raw) > 0 {
				// check's RATE-4 allows a whole-second value to be up to a
				// second short (a limiter that truncates): so does this.
				short = " (short: honest only if by less than the value's one-second resolution; see the error)"
			}
			r.ServedAt = yesNo(c.Accepted(), "a retry at Retry-After was served (honest)", "a retry at Retry-After got "+describeStatus(c)+short)
		} else {
			r.RefusedAtHalf = yesNo(c.Refused(), "one at half of it was refused (tight)", "one at half of it was served (conservative)")
		}
	}
	if reset != nil {
		r.Error = fmt.Sprintf("%+.3fs to %+.3fs (Retry-After %s, reset observed after %s)",
			(d - reset.Hi).Seconds(), (d - reset.Lo).Seconds(), d.Round(time.Millisecond), reset)
	}
	return r
}

func yesNo(ok bool, yes, no string) string {
	if ok {
		return "yes: " + yes
	}
	return "no: " + no
}

func orNotDetermined(v, yes, no string) string {
	switch v {
	case "yes":
		return yes
	case "no":
		return no
	}
	return "not determined: the models that fit do not differ on it"
}

func medianLatency(calls []Call) time.Duration {
	if len(calls) == 0 {
		return 0
	}
	ds := make([]time.Duration, len(calls))
	for i, c := range calls {
		ds[i] = c.Latency
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func refusedBilled(refused []Call) string {
	if len(refused) == 0 {
		return "not measured: no 429"
	}
	billed := filter(refused, func(c Call) bool { return c.HasUsage })
	if len(billed) > 0 {
		return fmt.Sprintf("yes: %d of %d 429s carried usage", len(billed), len(refused))
	}
	return fmt.Sprintf("no: none of %d 429s carried usage", len(refused))
}

func modelsCount(calls []Call) string {
	for _, c := range calls {
		if c.Phase != PhaseModels {
			continue
		}
		switch {
		case c.Refused():
			return "yes: a models call was refused (429) while chat was exhausted"
		case c.Accepted():
			return "no: a models call was served while chat was exhausted"
		default:
			return "not determined: the models call got " + describeStatus(c)
		}
	}
	return "not measured"
}

func perKey(calls []Call) string {
	v := filter(calls, func(c Call) bool { return c.Phase == PhasePerKey })
	if len(v) == 0 {
		return "not measured: give a second --api-key"
	}
	served := len(filter(v, Call.Accepted))
	switch served {
	case len(v):
		return fmt.Sprintf("yes: the second key got %d of %d served while the first was exhausted", served, len(v))
	case 0:
		return fmt.Sprintf("no: the second key was refused too (%d of %d) while the first was exhausted: a shared limit", len(v)-served, len(v))
	}
	return fmt.Sprintf("partly: the second key got %d of %d served while the first was exhausted", served, len(v))
}

func verdict(f *Findings) (string, string) {
	n, tol := f.Expect.N, f.Tolerance
	switch {
	case f.NoLimit:
		return VerdictFail, fmt.Sprintf("no 429 within %d calls: the limit is above %d, not %s", f.BurstCalls, f.BurstCalls, f.Expect)
	case f.BurstCalls == 0 || f.Error != "" && f.BurstCapacity == 0:
		return VerdictIncomplete, "nothing measured: " + f.Error
	case f.BurstCapacity == f.BurstCalls:
		return VerdictIncomplete, fmt.Sprintf("the burst stopped after %d calls, all served, before any 429", f.BurstCalls)
	case f.HeldBeyondWindow != "":
		return VerdictFail, f.HeldBeyondWindow
	case abs(f.MeasuredLimit-n) <= tol:
		return VerdictPass, fmt.Sprintf("measured %d per %s, expected %s (±%d)", f.MeasuredLimit, f.Expect.Window, f.Expect, tol)
	}
	return VerdictFail, fmt.Sprintf("measured %d per %s, expected %s (±%d)", f.MeasuredLimit, f.Expect.Window, f.Expect, tol)
}
