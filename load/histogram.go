package load

import (
	"fmt"
	"io"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// LatencyHistogram counts every call's latency into fixed buckets, as
// `vegeta report -type=hist` does (vegeta's own Histogram and reporter), so
// the text reads the same as vegeta's.
type LatencyHistogram struct {
	h vegeta.Histogram
}

// ParseBuckets reads bucket bounds "0,10ms,50ms,100ms" (vegeta's
// "[0,10ms,...]" too): durations in increasing order; a first bound above 0
// gets a [0, first] bucket before it, the last bucket is open-ended.
func ParseBuckets(s string) (vegeta.Buckets, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		s = "[" + s + "]"
	}
	var b vegeta.Buckets
	if err := b.UnmarshalText([]byte(s)); err != nil {
		return nil, fmt.Errorf("histogram buckets %q: give increasing durations like 0,10ms,50ms,100ms (%v)", s, err)
	}
	for i := range b {
		if b[i] < 0 || (i > 0 && b[i] <= b[i-1]) {
			return nil, fmt.Errorf("histogram buckets %q: bounds must be 0 or more and increasing, like 0,10ms,50ms,100ms", s)
		}
	}
	return b, nil
}

// NewBucketHistogram makes a histogram over buckets.
func NewBucketHistogram(buckets vegeta.Buckets) *LatencyHistogram {
	return &LatencyHistogram{h: vegeta.Histogram{Buckets: buckets}}
}

// Add implements Sink: every call counts, whatever its outcome.
func (l *LatencyHistogram) Add(h *Hit) error { l.h.Add(h.Result); return nil }

// Close implements Sink.
func (l *LatencyHistogram) Close() error { return nil }

// Total is how many calls were counted.
func (l *LatencyHistogram) Total() uint64 { return l.h.Total }

// WriteText writes the histogram as vegeta's hist report does.
func (l *LatencyHistogram) WriteText(w io.Writer) error {
	return vegeta.NewHistogramReporter(&l.h).Report(w)
}
