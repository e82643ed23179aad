package judge

import (
	"fmt"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// ParseRetryAfter reads a Retry-After value as the wait from now, and says
// what is wrong with one a client cannot use (RATE-4).
func ParseRetryAfter(v string, now time.Time) (time.Duration, error) {
	d, format := target.ParseRetryAfter(v, now)
	switch {
	case format == target.RetryAfterAbsent:
		return 0, fmt.Errorf("Retry-After is empty")
	case format == target.RetryAfterInvalid && strings.HasPrefix(strings.TrimSpace(v), "-"):
		return 0, fmt.Errorf("Retry-After %q is negative", v)
	case format == target.RetryAfterInvalid:
		return 0, fmt.Errorf("Retry-After %q is neither seconds nor an HTTP date", v)
	case d > 24*time.Hour:
		return 0, fmt.Errorf("Retry-After %q is more than a day", v)
	}
	return d, nil
}
