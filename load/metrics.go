package load

import (
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram records values exactly where it can and to three significant
// digits where it cannot: count, sum, min and max are exact; percentiles come
// from an HDR histogram, whose error is bounded (±0.1%), unlike vegeta's
// t-digest estimates. Memory is fixed whatever the count; the HDR counts
// (up to 190 kB each) are made by the first value, so the distributions a
// run never fills (refusals in a clean run, tokens of models calls) cost
// nothing.
type Histogram struct {
	hdr             *hdrhistogram.Histogram
	lowest, highest int64
	count           uint64
	sum             float64
	min, max        int64
}

// Histogram ranges: latencies in ns up to an hour, tokens up to 10^7, time
// per token in µs up to an hour. The lowest value is the histogram's unit:
// latencies counted in whole microseconds would be kept to 512 ns, 0.2% of a
// 260 µs call, where three significant digits promise 0.1%.
const (
	latencyLowest  = int64(1)
	latencyHighest = int64(time.Hour)
	tokensHighest  = 10_000_000
	perTokenHighes = int64(time.Hour / time.Microsecond)
)

// NewHistogram makes a histogram for values from lowest to highest (values
// outside are clamped into the percentiles, kept exact in min/max/sum).
func NewHistogram(lowest, highest int64) *Histogram {
	return &Histogram{lowest: lowest, highest: highest}
}

// NewLatencyHistogram records durations in nanoseconds.
func NewLatencyHistogram() *Histogram { return NewHistogram(latencyLowest, latencyHighest) }

// Record adds one value.
func (h *Histogram) Record(v int64) {
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if h.count == 0 || v > h.max {
		h.max = v
	}
	h.count++
	h.sum += float64(v)
	if h.hdr == nil {
		h.hdr = hdrhistogram.New(h.lowest, h.highest, 3)
	}
	clamped := min(max(v, h.lowest), h.highest)
	_ = h.hdr.RecordValue(clamped) // cannot fail once clamped
}

// Count is how many values were recorded.
func (h *Histogram) Count() uint64 { return h.count }

// Quantile is the value at q in [0, 1], within the histogram's precision and
// never outside the exact min and max. 0 when empty.
func (h *Histogram) Quantile(q float64) int64 {
	if h.count == 0 {
		return 0
	}
	v := h.hdr.ValueAtQuantile(q * 100)
	return min(max(v, h.min), h.max)
}

// Stats is a distribution's summary.
type Stats struct {
	Count                              uint64
	Sum, Mean                          float64
	Min, P50, P90, P95, P99, P999, Max int64
}

// Stats summarizes the histogram.
func (h *Histogram) Stats() Stats {
	s := Stats{Count: h.count, Sum: h.sum, Min: h.min, Max: h.max}
	if h.count == 0 {
		return s
	}
	s.Mean = h.sum / float64(h.count)
	s.P50, s.P90, s.P95, s.P99, s.P999 = h.Quantile(0.50), h.Quantile(0.90), h.Quantile(0.95), h.Quantile(0.99), h.Quantile(0.999)
	return s
}

// Latencies is a latency distribution: vegeta's LatencyMetrics fields and
// the 99.9th percentile.
type Latencies struct {
	Count                              uint64
	Total, Mean                        time.Duration
	Min, P50, P90, P95, P99, P999, Max time.Duration
}

// Latencies reads the histogram as durations.
func (h *Histogram) Latencies() Latencies {
	s := h.Stats()
	return Latencies{
		Count: s.Count, Total: time.Duration(s.Sum), Mean: time.Duration(s.Mean),
		Min: time.Duration(s.Min), P50: time.Duration(s.P50), P90: time.Duration(s.P90),
		P95: time.Duration(s.P95), P99: time.Duration(s.P99), P999: time.Duration(s.P999), Max: time.Duration(s.Max),
	}
}

// Metrics accumulates a run's hits. It is not safe for concurrent use: Run
// feeds it from one goroutine and reads it under its own lock.
type Metrics struct {
	requests, successes, rateLimited, failures uint64
	all, ok, limited, failed                   *Histogram

	earliest, latest, end time.Time
	bytesIn, bytesOut     uint64

	codes   map[int]uint64
	classes map[string]uint64
	errSeen map[string]struct{}
	errors  []string

	chat                    bool
	prompt, completion, tot int64
	withUsage               uint64
	promptDist, complDist   *Histogram
	reqPrompt, reqMax       *Histogram // what served calls asked for, when known
	perToken                *Histogram // µs per output token
	finish                  map[string]uint64
	keys                    []KeyStats
}

// MaxErrorMessages caps the distinct error messages kept (vegeta keeps all;
// a message carrying a per-call detail would otherwise grow without bound).
const MaxErrorMessages = 100

// NewMetrics makes the metrics of a run over nkeys keys.
func NewMetrics(nkeys int) *Metrics {
	return &Metrics{
		all: NewLatencyHistogram(), ok: NewLatencyHistogram(),
		limited: NewLatencyHistogram(), failed: NewLatencyHistogram(),
		codes: map[int]uint64{}, classes: map[string]uint64{}, errSeen: map[string]struct{}{},
		promptDist: NewHistogram(1, tokensHighest), complDist: NewHistogram(1, tokensHighest),
		reqPrompt: NewHistogram(1, tokensHighest), reqMax: NewHistogram(1, tokensHighest),
		perToken: NewHistogram(1, perTokenHighes),
		finish:   map[string]uint64{},
		keys:     make([]KeyStats, max(nkeys, 1)),
	}
}

// Add records one hit.
func (m *Metrics) Add(h *Hit) {
	m.requests++
	m.codes[int(h.Code)]++
	m.bytesIn += h.BytesIn
	m.bytesOut += h.BytesOut
	lat := int64(h.Latency)
	m.all.Record(lat)
	if m.earliest.IsZero() || h.Timestamp.Before(m.earliest) {
		m.earliest = h.Timestamp
	}
	if h.Timestamp.After(m.latest) {
		m.latest = h.Timestamp
	}
	if end := h.End(); end.After(m.end) {
		m.end = end
	}
	if h.Error != "" {
		if _, seen := m.errSeen[h.Error]; !seen && len(m.errors) < MaxErrorMessages {
			m.errSeen[h.Error] = struct{}{}
			m.errors = append(m.errors, h.Error)
		}
	}
	if h.ErrorClass != "" {
		m.classes[h.ErrorClass]++
	}
	k := &m.keys[h.KeyIndex%len(m.keys)]
	k.Requests++
	switch h.Outcome {
	case Success:
		m.successes++
		k.Successes++
		m.ok.Record(lat)
		m.addChat(h)
	case RateLimited:
		m.rateLimited++
		k.RateLimited++
		m.limited.Record(lat)
	default:
		m.failures++
		m.failed.Record(lat)
	}
}

func (m *Metrics) addChat(h *Hit) {
	if h.BodyIndex < 0 {
		return
	}
	m.chat = true
	u := h.Served.Usage
	m.withUsage++
	m.prompt += int64(u.PromptTokens)
	m.completion += int64(u.CompletionTokens)
	m.tot += int64(u.TotalTokens)
	m.promptDist.Record(int64(u.PromptTokens))
	m.complDist.Record(int64(u.CompletionTokens))
	if u.CompletionTokens > 0 {
		m.perToken.Record(int64(h.Latency/time.Microsecond) / int64(u.CompletionTokens))
	}
	if r := h.Requested; r.PromptTokens > 0 {
		m.reqPrompt.Record(int64(r.PromptTokens))
	}
	if r := h.Requested; r.MaxTokens > 0 {
		m.reqMax.Record(int64(r.MaxTokens))
	}
	reason := h.Served.FinishReason
	if reason == "" {
		reason = "(none)"
	}
	m.finish[reason]++
}

// Requests is how many hits were added.
func (m *Metrics) Requests() uint64 { return m.requests }

// KeyStats counts one key's calls.
type KeyStats struct {
	Key                              string // redacted
	Requests, Successes, RateLimited uint64
}

// Tokens is what chat calls spent.
type Tokens struct {
	Prompt, Completion, Total int64
	// WithUsage counts successful chat replies: each is a completion, so
	// each reported its usage.
	WithUsage         uint64
	PromptPerCall     Stats
	CompletionPerCall Stats
	// What the served calls asked for, when the plan knows it (synthetic
	// prompts): their prompts' lengths and their max_tokens, to set beside
	// PromptPerCall and CompletionPerCall.
	RequestedPromptPerCall Stats
	RequestedMaxPerCall    Stats
	// OutputPerSecond is completion tokens over the run's duration plus wait.
	OutputPerSecond float64
	// PerOutputToken is each call's latency over its completion tokens, in µs.
	PerOutputToken Stats
}

// Summary is a run's figures: vegeta's report fields (same meaning and
// units) and load's own. Thresholds read it; reports render it.
type Summary struct {
	Requests, Successes, RateLimited, Failures uint64

	// vegeta's: first and last send, last answer; Duration = Latest-Earliest,
	// Wait = End-Latest.
	Earliest, Latest, End time.Time
	Duration, Wait        time.Duration
	// Rate is requests/Duration (achieved), Throughput successes/(Duration+Wait),
	// Success successes/requests, all as vegeta computes them.
	Rate, Throughput, Success float64

	Latencies            Latencies // every call (vegeta's "latencies")
	SuccessLatencies     Latencies
	RateLimitedLatencies Latencies
	FailureLatencies     Latencies

	StatusCodes  map[int]uint64
	Errors       []string // distinct error messages, first MaxErrorMessages
	ErrorClasses map[string]uint64
	BytesIn      uint64
	BytesOut     uint64

	Chat          bool // the run called chat, so tokens apply
	Tokens        Tokens
	FinishReasons map[string]uint64
	Keys          []KeyStats

	// Set by Run from the pacer and the clock.
	Profile     string
	Elapsed     time.Duration // wall time of the run
	Slots       uint64        // slots whose time came: sent or missed
	Missed      uint64
	Late        uint64
	OfferedRate float64 // slots per second of the sending period
	Conformance Conformance
	Interrupted bool   // stopped by the caller (Ctrl-C)
	Aborted     string // the --abort-on condition that stopped the run, if any
	Abandoned   uint64 // calls still in flight when the grace period ended
}

// SuccessRatio is successes/requests (0 when nothing was sent).
func (s *Summary) SuccessRatio() float64 { return ratio(s.Successes, s.Requests) }

// ErrorRatio is the share of calls that were not successes (429s included).
func (s *Summary) ErrorRatio() float64 { return ratio(s.Requests-s.Successes, s.Requests) }

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Summary computes the figures so far; the metrics keep accumulating.
func (m *Metrics) Summary() Summary {
	s := Summary{
		Requests: m.requests, Successes: m.successes, RateLimited: m.rateLimited, Failures: m.failures,
		Earliest: m.earliest, Latest: m.latest, End: m.end,
		Latencies: m.all.Latencies(), SuccessLatencies: m.ok.Latencies(),
		RateLimitedLatencies: m.limited.Latencies(), FailureLatencies: m.failed.Latencies(),
		StatusCodes: copyMap(m.codes), ErrorClasses: copyMap(m.classes),
		Errors:  append([]string(nil), m.errors...),
		BytesIn: m.bytesIn, BytesOut: m.bytesOut,
		Chat: m.chat, FinishReasons: copyMap(m.finish),
		Keys: append([]KeyStats(nil), m.keys...),
	}
	if m.requests > 0 {
		s.Duration = m.latest.Sub(m.earliest)
		s.Wait = m.end.Sub(m.latest)
		s.Success = ratio(m.successes, m.requests)
		if secs := s.Duration.Seconds(); secs > 0 {
			s.Rate = float64(m.requests) / secs
			s.Throughput = float64(m.successes) / (s.Duration + s.Wait).Seconds()
		}
	}
	s.Tokens = Tokens{
		Prompt: m.prompt, Completion: m.completion, Total: m.tot,
		WithUsage:     m.withUsage,
		PromptPerCall: m.promptDist.Stats(), CompletionPerCall: m.complDist.Stats(),
		RequestedPromptPerCall: m.reqPrompt.Stats(), RequestedMaxPerCall: m.reqMax.Stats(),
		PerOutputToken: m.perToken.Stats(),
	}
	if span := (s.Duration + s.Wait).Seconds(); span > 0 {
		s.Tokens.OutputPerSecond = float64(m.completion) / span
	}
	return s
}

// Quantile of the successes' latency so far (for a progress line).
func (m *Metrics) SuccessQuantile(q float64) time.Duration { return time.Duration(m.ok.Quantile(q)) }

func copyMap[K comparable](m map[K]uint64) map[K]uint64 {
	out := make(map[K]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SortedKeys returns a map's keys in order, for stable reports.
func SortedKeys[K int | string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
