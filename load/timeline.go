package load

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Timeline is a Sink that keeps a run's figures per slice of time, for the
// over-time charts of the HTML report. Its memory is bounded whatever the
// number of calls: at most MaxTimelineBuckets buckets, each a few kB (a
// coarse latency histogram, outcome and status counts, tokens); when a run
// outlasts them, neighbouring buckets merge and the width doubles.
//
// Calls are placed by their send time, like vegeta's plot; tokens by the
// time their answer came back, since that is when they were served.
type Timeline struct {
	origin  time.Time
	width   time.Duration
	buckets []*timelineBucket
	// Whole-run distributions at a finer precision, for the latency
	// distribution chart.
	okDist, otherDist *hdrhistogram.Histogram
}

// MaxTimelineBuckets bounds a timeline's buckets (and so its memory, about
// 4 kB a bucket).
const MaxTimelineBuckets = 240

// timelineWidths are the bucket widths a timeline starts from: the smallest
// that fits the expected span in half the buckets, leaving room for a run
// that overruns (the grace period).
var timelineWidths = []time.Duration{
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
}

// Per-bucket latencies are kept to one significant digit (within about 6%):
// enough to draw, and 4 kB instead of 200 kB a bucket. The whole-run
// distributions keep two. At those precisions a microsecond unit loses
// nothing and keeps the buckets small.
const (
	timelineDigits     = 1
	distributionDigits = 2
	timelineLowest     = int64(time.Microsecond)
)

type timelineBucket struct {
	requests, successes, rateLimited, failures uint64
	okSum, otherSum                            float64 // latencies, ns
	okLatency                                  *hdrhistogram.Histogram
	okMax                                      int64
	codes                                      map[int]uint64
	classes                                    map[string]uint64
	promptTokens, completionTokens             int64
}

// NewTimeline makes a timeline whose time 0 is origin (a call sent before it
// counts in the first bucket), with buckets sized for a run of about span.
func NewTimeline(origin time.Time, span time.Duration) *Timeline {
	width := timelineWidths[len(timelineWidths)-1]
	for _, w := range timelineWidths {
		if span <= w*MaxTimelineBuckets/2 {
			width = w
			break
		}
	}
	return &Timeline{origin: origin, width: width,
		okDist:    hdrhistogram.New(timelineLowest, latencyHighest, distributionDigits),
		otherDist: hdrhistogram.New(timelineLowest, latencyHighest, distributionDigits)}
}

// Add records one hit (Sink).
func (t *Timeline) Add(h *Hit) error {
	lat := clampLatency(int64(h.Latency))
	b := t.bucket(h.Timestamp)
	b.requests++
	b.codes[int(h.Code)]++
	if h.ErrorClass != "" {
		b.classes[h.ErrorClass]++
	}
	switch h.Outcome {
	case Success:
		b.successes++
		_ = b.okLatency.RecordValue(lat) // cannot fail once clamped
		b.okMax = max(b.okMax, int64(h.Latency))
		b.okSum += float64(h.Latency)
		_ = t.okDist.RecordValue(lat)
	default:
		if h.Outcome == RateLimited {
			b.rateLimited++
		} else {
			b.failures++
		}
		b.otherSum += float64(h.Latency)
		_ = t.otherDist.RecordValue(lat)
	}
	if h.Outcome == Success && h.BodyIndex >= 0 { // a served chat call: its usage was read
		served := t.bucket(h.End())
		served.promptTokens += int64(h.Served.Usage.PromptTokens)
		served.completionTokens += int64(h.Served.Usage.CompletionTokens)
	}
	return nil
}

// Close implements Sink; a timeline holds no resource.
func (t *Timeline) Close() error { return nil }

func clampLatency(v int64) int64 { return min(max(v, timelineLowest), latencyHighest) }

// bucket returns the bucket holding time at, growing the timeline (and
// coarsening it when it would pass MaxTimelineBuckets).
func (t *Timeline) bucket(at time.Time) *timelineBucket {
	offset := max(at.Sub(t.origin), 0)
	i := int(offset / t.width)
	for i >= MaxTimelineBuckets {
		t.coarsen()
		i = int(offset / t.width)
	}
	for len(t.buckets) <= i {
		t.buckets = append(t.buckets, nil)
	}
	if t.buckets[i] == nil {
		t.buckets[i] = newTimelineBucket()
	}
	return t.buckets[i]
}

func newTimelineBucket() *timelineBucket {
	return &timelineBucket{okLatency: hdrhistogram.New(timelineLowest, latencyHighest, timelineDigits),
		codes: map[int]uint64{}, classes: map[string]uint64{}}
}

// coarsen doubles the width, merging buckets pairwise.
func (t *Timeline) coarsen() {
	merged := make([]*timelineBucket, (len(t.buckets)+1)/2)
	for i, b := range t.buckets {
		switch m := &merged[i/2]; {
		case b == nil:
		case *m == nil:
			*m = b
		default:
			(*m).merge(b)
		}
	}
	t.buckets = merged
	t.width *= 2
}

func (b *timelineBucket) merge(o *timelineBucket) {
	b.requests += o.requests
	b.successes += o.successes
	b.rateLimited += o.rateLimited
	b.failures += o.failures
	b.okSum += o.okSum
	b.otherSum += o.otherSum
	b.okLatency.Merge(o.okLatency)
	b.okMax = max(b.okMax, o.okMax)
	for k, v := range o.codes {
		b.codes[k] += v
	}
	for k, v := range o.classes {
		b.classes[k] += v
	}
	b.promptTokens += o.promptTokens
	b.completionTokens += o.completionTokens
}

// Width is the buckets' width.
func (t *Timeline) Width() time.Duration { return t.width }

// Origin is the timeline's time 0.
func (t *Timeline) Origin() time.Time { return t.origin }

// TimelineBucket is one slice of time's figures. Latency percentiles are of
// the successes, to about 6%; Max is exact.
type TimelineBucket struct {
	Start                                      time.Duration // from the origin
	Requests, Successes, RateLimited, Failures uint64
	StatusCodes                                map[int]uint64
	ErrorClasses                               map[string]uint64
	// Of the successes sent in the bucket (zero when none).
	Mean, P50, P90, P99, Max time.Duration
	// OtherMean is the mean latency of the 429s and failures (zero when none).
	OtherMean time.Duration
	// Tokens of the answers that came back in the bucket.
	PromptTokens, CompletionTokens int64
}

// Buckets returns every bucket from the origin to the last call, empty ones
// included, so a chart's time axis is even.
func (t *Timeline) Buckets() []TimelineBucket {
	out := make([]TimelineBucket, len(t.buckets))
	for i, b := range t.buckets {
		out[i].Start = time.Duration(i) * t.width
		if b == nil {
			continue
		}
		tb := &out[i]
		tb.Requests, tb.Successes, tb.RateLimited, tb.Failures = b.requests, b.successes, b.rateLimited, b.failures
		tb.StatusCodes, tb.ErrorClasses = copyMap(b.codes), copyMap(b.classes)
		tb.PromptTokens, tb.CompletionTokens = b.promptTokens, b.completionTokens
		if b.successes > 0 {
			tb.P50 = time.Duration(min(b.okLatency.ValueAtQuantile(50), b.okMax))
			tb.P90 = time.Duration(min(b.okLatency.ValueAtQuantile(90), b.okMax))
			tb.P99 = time.Duration(min(b.okLatency.ValueAtQuantile(99), b.okMax))
			tb.Max = time.Duration(b.okMax)
			tb.Mean = time.Duration(b.okSum / float64(b.successes))
		}
		if others := b.requests - b.successes; others > 0 {
			tb.OtherMean = time.Duration(b.otherSum / float64(others))
		}
	}
	return out
}

// LatencyBin is one bar of a latency distribution: the calls whose latency
// was in [Lo, Hi).
type LatencyBin struct {
	Lo, Hi           time.Duration
	Successes, Other uint64 // Other: 429s and failures
}

// Distribution is the run's latency distribution in at most n bins of equal
// width on a logarithmic scale, from the fastest call to the slowest.
func (t *Timeline) Distribution(n int) []LatencyBin {
	lo, hi := int64(0), int64(0)
	for _, h := range []*hdrhistogram.Histogram{t.okDist, t.otherDist} {
		if h.TotalCount() == 0 {
			continue
		}
		if l := h.Min(); lo == 0 || l < lo {
			lo = l
		}
		hi = max(hi, h.Max())
	}
	if hi == 0 || n < 1 {
		return nil
	}
	edges := logEdges(lo, hi+1, n)
	bins := make([]LatencyBin, len(edges)-1)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = time.Duration(edges[i]), time.Duration(edges[i+1])
	}
	fill := func(h *hdrhistogram.Histogram, add func(*LatencyBin, uint64)) {
		for _, bar := range h.Distribution() {
			if bar.Count == 0 {
				continue
			}
			add(&bins[binOf(edges, (bar.From+bar.To)/2)], uint64(bar.Count))
		}
	}
	fill(t.okDist, func(b *LatencyBin, n uint64) { b.Successes += n })
	fill(t.otherDist, func(b *LatencyBin, n uint64) { b.Other += n })
	return bins
}

// logEdges is n+1 edges from lo to hi spaced evenly on a log scale.
func logEdges(lo, hi int64, n int) []int64 {
	lo = max(lo, 1)
	hi = max(hi, lo+1)
	edges := make([]int64, 0, n+1)
	ratio := float64(hi) / float64(lo)
	for i := 0; i <= n; i++ {
		e := int64(float64(lo) * math.Pow(ratio, float64(i)/float64(n)))
		if len(edges) > 0 && e <= edges[len(edges)-1] {
			continue // bins narrower than a nanosecond collapse
		}
		edges = append(edges, e)
	}
	edges[len(edges)-1] = hi
	if len(edges) < 2 {
		edges = append(edges, hi)
	}
	return edges
}

// binOf is the bin of edges holding v (clamped to the first and last).
func binOf(edges []int64, v int64) int {
	i, j := 0, len(edges)-2
	for i < j {
		mid := (i + j + 1) / 2
		if edges[mid] <= v {
			i = mid
		} else {
			j = mid - 1
		}
	}
	return i
}
