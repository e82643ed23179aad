package target

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfterFormat is how a response states Retry-After.
type RetryAfterFormat string

const (
	RetryAfterAbsent  RetryAfterFormat = "absent"
	RetryAfterSeconds RetryAfterFormat = "seconds"
	RetryAfterDate    RetryAfterFormat = "http-date"
	RetryAfterInvalid RetryAfterFormat = "invalid"
)

// ParseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date
// (RFC 9110 §10.2.3), as the wait from now; a date in the past is no wait.
// The one reading of Retry-After that the suite and the analyses share.
func ParseRetryAfter(v string, now time.Time) (time.Duration, RetryAfterFormat) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, RetryAfterAbsent
	}
	// RFC 9110 writes whole seconds; clients (OpenAI's SDKs among them) read
	// fractions too, so a target sending "0.5" is understood, not refused.
	if secs, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(secs) {
		if secs < 0 {
			return 0, RetryAfterInvalid
		}
		return time.Duration(min(secs, maxRetryAfter.Seconds()) * float64(time.Second)), RetryAfterSeconds
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, RetryAfterInvalid
	}
	return max(at.Sub(now), 0), RetryAfterDate
}

// RetryAfterResolution is how finely a Retry-After value states a wait: a
// whole second for delay-seconds and for an HTTP date (RFC 9110), nothing
// for a fraction. An honest limiter rounds within it either way (naive code
// truncates: "2" for 2.7 s), so its promise holds once its value and the
// resolution have passed.
func RetryAfterResolution(v string) time.Duration {
	if strings.Contains(v, ".") {
		return 0
	}
	return time.Second
}

// maxRetryAfter caps a Retry-After in seconds so the arithmetic never
// overflows; callers judge whether such a wait is believable.
const maxRetryAfter = 100 * 365 * 24 * time.Hour

// IsRateLimitHeader tells whether a header is one of the rate-limit families:
// X-RateLimit-*, RateLimit-* (IETF draft) and OpenAI's x-ratelimit-*-requests.
func IsRateLimitHeader(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "x-ratelimit") || strings.HasPrefix(l, "ratelimit")
}

// ServerNow is when a response left the server by the server's own clock:
// its Date header, when the two clocks disagree by more than Date's
// one-second resolution (and by less than an hour: beyond that Date is a
// cache's or a fake clock's), else when the response came back. Dates the
// server sends (Retry-After, reset times) are read against it, so skew
// between the clocks neither shortens nor lengthens them.
func ServerNow(h http.Header, received time.Time) time.Time {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return received
	}
	if off := d.Sub(received).Abs(); off > time.Second && off < time.Hour {
		return d
	}
	return received
}
