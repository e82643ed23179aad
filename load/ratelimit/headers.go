package ratelimit

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// RetryAfterFormat is how a 429 states Retry-After.
type RetryAfterFormat = target.RetryAfterFormat

const (
	RetryAfterAbsent  = target.RetryAfterAbsent
	RetryAfterSeconds = target.RetryAfterSeconds
	RetryAfterDate    = target.RetryAfterDate
	RetryAfterInvalid = target.RetryAfterInvalid
)

// parseRetryAfter reads Retry-After; a date is measured from the response's
// Date header, or from when it came back.
func parseRetryAfter(c Call) (time.Duration, RetryAfterFormat) {
	return target.ParseRetryAfter(c.Header.Get("Retry-After"), serverNow(c))
}

// serverNow is when the server answered by its own clock (target.ServerNow).
func serverNow(c Call) time.Time { return target.ServerNow(c.Header, c.Received()) }

// retryAfter is the delay a 429 asks for, when it states one.
func retryAfter(c Call) (time.Duration, bool) {
	d, f := parseRetryAfter(c)
	return d, f == RetryAfterSeconds || f == RetryAfterDate
}

// headerMeaning sorts the rate-limit headers in their three spellings.
type headerMeaning int

const (
	meaningOther headerMeaning = iota
	meaningLimit
	meaningRemaining
	meaningReset
)

func classifyHeader(name string) headerMeaning {
	l := strings.ToLower(name)
	switch l {
	case "x-ratelimit-limit", "ratelimit-limit", "x-ratelimit-limit-requests":
		return meaningLimit
	case "x-ratelimit-remaining", "ratelimit-remaining", "x-ratelimit-remaining-requests":
		return meaningRemaining
	case "x-ratelimit-reset", "ratelimit-reset", "x-ratelimit-reset-requests":
		return meaningReset
	}
	return meaningOther
}

// leadingInt reads "60", "60, 60;w=60" or "60;w=60" as 60.
func leadingInt(v string) (int, bool) {
	v = strings.TrimSpace(v)
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end == 0 {
		return 0, false
	}
	if end > 0 {
		v = v[:end]
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// parseReset reads a reset header as a delay: seconds ("4", "0.5"), an epoch
// time in seconds (measured from Date), or an OpenAI duration ("6m0s", "20ms").
func parseReset(c Call, v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 1e9 { // an epoch time
			return time.Unix(0, int64(s*1e9)).Sub(serverNow(c)), true
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d, true
	}
	return 0, false
}

// HeaderFinding is one rate-limit header seen, and whether it agrees with what
// was observed.
type HeaderFinding struct {
	Name     string `json:"name"`
	On429    string `json:"on_first_429,omitempty"`    // its value on the first 429
	OnServed string `json:"on_first_served,omitempty"` // its value on the first served call
	Agrees   string `json:"agrees"`                    // "yes", "no: …", or "n/a: …"
}

// headerFindings compares each rate-limit header with the measurement.
func headerFindings(calls []Call, first429 *Call, limit int, tol int, reset *Bound) []HeaderFinding {
	var firstServed *Call
	names := map[string]bool{}
	for i, c := range calls {
		if c.Key != 0 || c.Kind != KindChat {
			continue
		}
		if firstServed == nil && c.Accepted() {
			firstServed = &calls[i]
		}
		for k := range c.Header {
			if classifyHeader(k) != meaningOther || target.IsRateLimitHeader(k) {
				names[http.CanonicalHeaderKey(k)] = true
			}
		}
	}
	var out []HeaderFinding
	for name := range names {
		h := HeaderFinding{Name: name, Agrees: "n/a: not compared"}
		if firstServed != nil {
			h.OnServed = firstServed.Header.Get(name)
		}
		if first429 != nil {
			h.On429 = first429.Header.Get(name)
		}
		switch classifyHeader(name) {
		case meaningLimit:
			v := h.On429
			if v == "" {
				v = h.OnServed
			}
			if n, ok := leadingInt(v); ok {
				h.Agrees = agreement(abs(n-limit) <= tol, fmt.Sprintf("says %d, measured %d", n, limit))
			}
		case meaningRemaining:
			if n, ok := leadingInt(h.On429); ok {
				h.Agrees = agreement(n == 0, fmt.Sprintf("says %d remaining on the first 429", n))
			} else if h.On429 == "" {
				h.Agrees = "n/a: absent on the 429"
			}
		case meaningReset:
			d, ok := parseReset(*first429OrZero(first429), h.On429)
			switch {
			case first429 == nil || h.On429 == "":
				h.Agrees = "n/a: absent on the 429"
			case !ok:
				h.Agrees = "no: cannot read " + strconvQuote(h.On429)
			case reset == nil:
				h.Agrees = fmt.Sprintf("n/a: says %s; no re-admission observed", d.Round(time.Millisecond))
			default:
				// A client that waits Reset must be served: it may not be shorter
				// than the observed re-admission (whole seconds round up).
				h.Agrees = agreement(d+time.Second >= reset.Lo, fmt.Sprintf("says %s; served again after %s", d.Round(time.Millisecond), reset))
			}
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func first429OrZero(c *Call) *Call {
	if c == nil {
		return &Call{}
	}
	return c
}

func agreement(ok bool, detail string) string {
	if ok {
		return "yes: " + detail
	}
	return "no: " + detail
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
