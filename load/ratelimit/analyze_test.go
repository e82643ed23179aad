package ratelimit

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A retry refused at exactly Retry-After proves a fraction dishonest, but not
// a whole-second value, which may be up to a second short (check's RATE-4
// reads it the same way).
func TestRetryRefusedAtRetryAfterReadsTheValuesResolution(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ value, want string }{
		{"2", "honest only if by less than the value's one-second resolution"},
		{"2.0", "(not honest)"},
	} {
		first := Call{Seq: 1, Kind: KindChat, Sent: t0, Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {tc.value}}}
		retry := Call{Seq: 2, Kind: KindChat, Phase: PhaseRetry, Sent: t0.Add(2 * time.Second), Status: http.StatusTooManyRequests}
		got := retryAfterFinding([]Call{first, retry}, first, nil).ServedAt
		if !strings.Contains(got, tc.want) {
			t.Errorf("Retry-After %q, retry refused: %q, want it to say %q", tc.value, got, tc.want)
		}
	}
}
