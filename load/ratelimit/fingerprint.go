package ratelimit

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Algorithm families a limiter is told apart by.
const (
	FixedWindow = "fixed window"
	SlidingLog  = "sliding log"
	TokenBucket = "token bucket"
	Unknown     = "unknown"
)

// Hypothesis is one limiter model tried against the call log.
type Hypothesis struct {
	Family        string `json:"family"`
	RefusedCount  bool   `json:"refused_count"` // the model charges refused calls too
	Limit         int    `json:"limit"`         // its fitted capacity
	Consistent    bool   `json:"consistent"`
	Contradiction string `json:"contradiction,omitempty"` // the first call it mispredicts
	Detail        string `json:"detail,omitempty"`        // its fitted parameters
	// Improbable: it fits only by a coincidence of timing (a window boundary
	// inside the short gap after the first call), so a model that fits
	// without one is preferred.
	Improbable bool `json:"improbable,omitempty"`

	tokens func(time.Time) float64 // a bucket's level after the log
}

// Fingerprint is which limiter models the observed admissions fit.
type Fingerprint struct {
	Algorithm  string       `json:"algorithm"`  // one family, "A or B", or "unknown"
	Candidates []string     `json:"candidates"` // the consistent families
	Tried      []Hypothesis `json:"tried"`
	// RefusedCount is "yes", "no" or "" (not determined) from which variants fit.
	RefusedCount string `json:"refused_count,omitempty"`
}

// bucketLevel is the most tokens a bucket that fits could hold at t, or -1
// when no bucket fits.
func (fp Fingerprint) bucketLevel(t time.Time) float64 {
	most := -1.0
	for _, h := range fp.Tried {
		if h.Family == TokenBucket && h.Consistent && h.tokens != nil {
			most = math.Max(most, h.tokens(t))
		}
	}
	return most
}

// has says whether family is among the candidates.
func (fp Fingerprint) has(family string) bool {
	for _, c := range fp.Candidates {
		if c == family {
			return true
		}
	}
	return false
}

// tokenSlack is how far a bucket's token count may be off (integer refills,
// rounding) before a call's outcome contradicts it.
const tokenSlack = 0.25

// obs is one chat call on the first key, as the limiter models see it: the
// server handled it somewhere in [from, to].
type obs struct {
	from, to   time.Time // sent and received, widened by the slack: for window arithmetic
	sent, recv time.Time // as measured: for ordering
	ok         bool
	order      int // position in the log
	volley     int
	seq        int
	label      string
}

func observations(calls []Call, slack time.Duration, start time.Time) []obs {
	var out []obs
	for _, c := range calls {
		if c.Key != 0 || c.Kind != KindChat || !(c.Accepted() || c.Refused()) {
			continue
		}
		out = append(out, obs{from: c.Sent.Add(-slack), to: c.Received().Add(slack), sent: c.Sent, recv: c.Received(), ok: c.Accepted(), volley: c.Volley, seq: c.Seq,
			label: fmt.Sprintf("call #%d (%s, +%s)", c.Seq, c.Phase, c.Sent.Sub(start).Round(time.Millisecond))})
	}
	// Calls of a volley were handled in an unknown order: the served ones
	// first is the only order in which a limiter serves some and refuses others.
	groupFrom := map[int]time.Time{}
	for _, o := range out {
		if g, ok := groupFrom[o.volley]; o.volley != 0 && (!ok || o.from.Before(g)) {
			groupFrom[o.volley] = o.from
		}
	}
	key := func(o obs) time.Time {
		if o.volley != 0 {
			return groupFrom[o.volley]
		}
		return o.from
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.volley != 0 && a.volley == b.volley {
			if a.ok != b.ok {
				return a.ok
			}
			return a.from.Before(b.from)
		}
		return key(a).Before(key(b))
	})
	for i := range out {
		out[i].order = i
	}
	return out
}

// definitelyBefore: p's answer came back before o was sent (at the same
// instant, as on a fake clock, the earlier in the log).
func definitelyBefore(p, o obs) bool {
	return p.recv.Before(o.sent) || p.recv.Equal(o.sent) && p.order < o.order
}

// possiblyBefore: p was sent before o's answer came back.
func possiblyBefore(p, o obs) bool { return !p.sent.After(o.recv) }

func fingerprint(calls []Call, cfg Config, burstAccepted int, burstDuration time.Duration) Fingerprint {
	if len(calls) == 0 {
		return Fingerprint{Algorithm: Unknown}
	}
	w := cfg.Expect.Window
	os := observations(calls, cfg.Slack, calls[0].Sent)
	if len(os) == 0 {
		return Fingerprint{Algorithm: Unknown}
	}
	refused := false
	for _, o := range os {
		refused = refused || !o.ok
	}
	fixed := fitFixed(os, w)
	var tried []Hypothesis
	for _, charge := range []bool{false, true} {
		fixed.RefusedCount = charge
		tried = append(tried, fixed, fitSliding(os, w, charge), fitBucket(os, w, burstAccepted, burstDuration, charge))
	}
	fp := Fingerprint{Tried: tried}
	// A coincidence of timing is set aside when a model without one fits
	// with a limit at least as close to the expected one.
	closest := -1
	for _, h := range tried {
		if h.Consistent && !h.Improbable && (closest < 0 || abs(h.Limit-cfg.Expect.N) < closest) {
			closest = abs(h.Limit - cfg.Expect.N)
		}
	}
	families := map[string]bool{}
	var plain, charged bool
	for _, h := range tried {
		if h.Consistent && (!h.Improbable || closest < 0 || abs(h.Limit-cfg.Expect.N) < closest) {
			families[h.Family] = true
			if h.RefusedCount {
				charged = true
			} else {
				plain = true
			}
		}
	}
	for _, f := range []string{FixedWindow, SlidingLog, TokenBucket} {
		if families[f] {
			fp.Candidates = append(fp.Candidates, f)
		}
	}
	switch {
	case !refused:
		fp.Algorithm = Unknown
	case len(fp.Candidates) == 1:
		fp.Algorithm = fp.Candidates[0]
	case len(fp.Candidates) == 2:
		fp.Algorithm = fp.Candidates[0] + " or " + fp.Candidates[1]
	default:
		fp.Algorithm = Unknown
	}
	// A fixed window cannot tell: refusals only happen when it is full anyway.
	onlyFixed := len(fp.Candidates) == 1 && fp.Candidates[0] == FixedWindow
	switch {
	case onlyFixed || !refused:
	case charged && !plain:
		fp.RefusedCount = "yes"
	case plain && !charged:
		fp.RefusedCount = "no"
	}
	return fp
}

// fitSliding: a sliding log of C, C the most calls served within any W.
func fitSliding(os []obs, w time.Duration, charge bool) Hypothesis {
	h := Hypothesis{Family: SlidingLog, RefusedCount: charge}
	counts := func(o obs, i int) (lo, hi int) {
		for j, p := range os {
			if j == i || !(p.ok || charge) {
				continue
			}
			// Served calls in flight together were served in some order:
			// take the log's.
			before := definitelyBefore(p, o) || p.ok && o.ok && p.order < o.order && possiblyBefore(p, o)
			if before && o.to.Sub(p.from) < w {
				lo++
			}
			if possiblyBefore(p, o) && o.from.Sub(p.to) < w && (p.volley == 0 || p.volley != o.volley || p.ok) {
				hi++
			}
		}
		return lo, hi
	}
	for i, o := range os {
		if o.ok {
			lo, _ := counts(o, i)
			h.Limit = max(h.Limit, lo+1)
		}
	}
	h.Detail = fmt.Sprintf("%d per %s, each call counted for W after it", h.Limit, w)
	h.Consistent = true
	for i, o := range os {
		lo, hi := counts(o, i)
		switch {
		case o.ok && lo >= h.Limit:
			h.Consistent, h.Contradiction = false, fmt.Sprintf("would have refused %s: %d calls already in the last %s; it was served", o.label, lo, w)
		case !o.ok && hi < h.Limit:
			h.Consistent, h.Contradiction = false, fmt.Sprintf("would have served %s: at most %d of %d in the last %s; it was refused", o.label, hi, h.Limit, w)
		}
		if !h.Consistent {
			break
		}
	}
	return h
}

// fitBucket: a bucket of capacity C refilling C per W, full at the first call.
// C is the burst's served calls less what refilled while it ran, or a little
// more.
func fitBucket(os []obs, w time.Duration, burst int, d time.Duration, charge bool) Hypothesis {
	refill := int(math.Ceil(float64(d) / float64(w) * float64(burst)))
	var first Hypothesis
	for c := burst; c >= max(1, burst-refill-1); c-- {
		h := checkBucket(os, w, c, charge)
		if h.Consistent {
			return h
		}
		if c == burst {
			first = h
		}
	}
	return first
}

func checkBucket(os []obs, w time.Duration, capacity int, charge bool) Hypothesis {
	h := Hypothesis{Family: TokenBucket, RefusedCount: charge, Limit: capacity, Consistent: true,
		Detail: fmt.Sprintf("capacity %d, one token every %s", capacity, (w / time.Duration(capacity)).Round(time.Microsecond))}
	rate := float64(capacity) / float64(w) // tokens per nanosecond
	tokens, at := float64(capacity), os[0].from
	level := func(t time.Time) float64 {
		if t.Before(at) {
			return tokens
		}
		return math.Min(float64(capacity), tokens+float64(t.Sub(at))*rate)
	}
	for _, o := range os {
		hi, lo := level(o.to), level(o.from)
		switch {
		case o.ok && hi < 1-tokenSlack:
			h.Consistent, h.Contradiction = false, fmt.Sprintf("would have refused %s: %.2f tokens at most; it was served", o.label, hi)
		case !o.ok && lo >= 1+tokenSlack:
			h.Consistent, h.Contradiction = false, fmt.Sprintf("would have served %s: %.2f tokens at least; it was refused", o.label, lo)
		}
		if !h.Consistent {
			return h
		}
		if o.from.After(at) {
			tokens, at = lo, o.from
		}
		if o.ok {
			tokens = math.Max(tokens-1, 0)
		} else if charge {
			// A charged refusal spends the part of a token gathered so far,
			// never into debt: after a quiet window the bucket is full again,
			// as RATE-3 wants (the reference server's counting bucket).
			tokens = 0
		}
	}
	h.tokens = level
	return h
}

// phases is how finely fixed-window boundaries are tried across one window.
const phases = 240

// fitFixed: windows of W from some phase, each admitting C; consistent if any
// phase explains every refusal. Boundaries within a call's own uncertainty
// excuse it. Charging refused calls changes nothing: a fixed window refuses
// only when full.
func fitFixed(os []obs, w time.Duration) Hypothesis {
	t0 := os[0].from
	var candidates []time.Duration
	for i := 0; i < phases; i++ {
		candidates = append(candidates, w*time.Duration(i)/phases)
	}
	for _, o := range os { // windows that start with a call (anchored at the first request)
		candidates = append(candidates, o.from.Sub(t0)%w, o.to.Sub(t0)%w)
	}
	best := Hypothesis{Family: FixedWindow}
	bestBad := -1
	better := func(h, than Hypothesis) bool {
		if h.Improbable != than.Improbable {
			return !h.Improbable
		}
		return h.Limit < than.Limit
	}
	for _, phase := range candidates {
		h, bad := checkFixed(os, w, t0.Add(phase))
		if h.Consistent && (!best.Consistent || better(h, best)) {
			best, bestBad = h, 0
		} else if !best.Consistent && (bestBad < 0 || bad < bestBad) {
			best, bestBad = h, bad
		}
	}
	return best
}

func checkFixed(os []obs, w time.Duration, origin time.Time) (Hypothesis, int) {
	window := func(t time.Time) int64 { return int64(math.Floor(float64(t.Sub(origin)) / float64(w))) }
	mids := make([]int64, len(os))
	perWindow := map[int64]int{}
	for i, o := range os {
		mids[i] = window(o.from.Add(o.to.Sub(o.from) / 2))
		if o.ok {
			perWindow[mids[i]]++
		}
	}
	h := Hypothesis{Family: FixedWindow, Consistent: true}
	for _, n := range perWindow {
		h.Limit = max(h.Limit, n)
	}
	bad := 0
	for i, o := range os {
		if o.ok || window(o.from) != window(o.to) {
			continue
		}
		n := 0
		for j, p := range os {
			if p.ok && mids[j] == mids[i] && possiblyBefore(p, o) {
				n++
			}
		}
		if n < h.Limit {
			if bad == 0 {
				h.Contradiction = fmt.Sprintf("would have served %s: %d of %d used in its window; it was refused", o.label, n, h.Limit)
			}
			bad++
		}
	}
	h.Consistent = bad == 0
	phase := origin.Sub(os[0].from) % w
	h.Detail = fmt.Sprintf("%d per window, boundaries %s after the first call plus multiples of %s", h.Limit, phase.Round(time.Millisecond), w)
	// The burst's first call stands apart from the rest by a short gap: a
	// boundary inside it is a coincidence of about gap/W.
	if len(os) > 1 && os[0].ok && os[1].ok && mids[0] < mids[1] {
		h.Improbable = true
		h.Detail += " (only with a boundary in the gap after the first call)"
	}
	return h, bad
}
