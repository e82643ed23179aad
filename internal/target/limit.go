package target

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limit is a rate limit of N requests per window W, written "60/1m".
type Limit struct {
	N      int
	Window time.Duration
}

// DefaultLimit is the documented default: 60 requests per minute.
var DefaultLimit = Limit{N: 60, Window: time.Minute}

// ParseLimit reads "N/W" where W is a Go duration ("1m", "10s", "500ms") or a
// bare unit ("s", "m", "h" meaning one of it): "60/1m", "5/10s", "20/s".
func ParseLimit(s string) (Limit, error) {
	n, w, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Limit{}, fmt.Errorf("rate limit %q: write it as N/WINDOW, like 60/1m or 5/10s", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 {
		return Limit{}, fmt.Errorf("rate limit %q: N must be a whole number of at least 1, like 60/1m", s)
	}
	w = strings.TrimSpace(w)
	if w != "" && (w[0] < '0' || w[0] > '9') {
		w = "1" + w
	}
	window, err := time.ParseDuration(w)
	if err != nil || window <= 0 {
		return Limit{}, fmt.Errorf("rate limit %q: the window must be a duration like 1m, 10s or 500ms", s)
	}
	return Limit{N: count, Window: window}, nil
}

// String writes the limit back as N/W.
func (l Limit) String() string { return fmt.Sprintf("%d/%s", l.N, shortDuration(l.Window)) }

// Interval is the even spacing between calls that keeps within the limit.
func (l Limit) Interval() time.Duration { return l.Window / time.Duration(l.N) }

// Set and Type make Limit a flag.Value.
func (l *Limit) Set(s string) error {
	v, err := ParseLimit(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

func (l *Limit) Type() string { return "N/W" }

// shortDuration prints 1m rather than 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
