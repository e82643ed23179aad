package suites

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date
// (RFC 9110 §10.2.3), as the wait from now. A date in the past is a zero wait.
func ParseRetryAfter(v string, now time.Time) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, fmt.Errorf("Retry-After is empty")
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, fmt.Errorf("Retry-After %q is negative", v)
		}
		if secs > int64(24*time.Hour/time.Second) {
			return 0, fmt.Errorf("Retry-After %q is more than a day", v)
		}
		return time.Duration(secs) * time.Second, nil
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, fmt.Errorf("Retry-After %q is neither seconds nor an HTTP date", v)
	}
	if d := t.Sub(now); d > 0 {
		return d, nil
	}
	return 0, nil
}
