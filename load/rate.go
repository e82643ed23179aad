package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a request rate in calls per second.
type Rate float64

// ParseRate reads "5/s", "300/1m", "0.5/s", "5/10s" or a bare "5" (per
// second). The count may be fractional; the window is a Go duration or a bare
// unit ("s", "m", "h").
func ParseRate(s string) (Rate, error) {
	n, w, hasWindow := strings.Cut(strings.TrimSpace(s), "/")
	count, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil || count < 0 || count != count {
		return 0, fmt.Errorf("rate %q: write it as N/WINDOW, like 5/s, 300/1m or 0.5/s", s)
	}
	window := time.Second
	if hasWindow {
		w = strings.TrimSpace(w)
		if w != "" && (w[0] < '0' || w[0] > '9') {
			w = "1" + w
		}
		window, err = time.ParseDuration(w)
		if err != nil || window <= 0 {
			return 0, fmt.Errorf("rate %q: the window must be a duration like s, 1m or 10s", s)
		}
	}
	return Rate(count / window.Seconds()), nil
}

// String writes the rate per second, e.g. "5/s".
func (r Rate) String() string { return strconv.FormatFloat(float64(r), 'g', 6, 64) + "/s" }

// Set makes Rate a flag.Value.
func (r *Rate) Set(s string) error {
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}
