package load

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Threshold is a CI gate on one figure of a run, written "p99<2s", "p99.9<5s",
// "success>=99.5%", "rate>=4.9/s", "errors==0", "tokens_per_s>=100".
type Threshold struct {
	Expr   string
	Metric string
	Op     string
	Value  float64 // in the metric's unit: ns, a ratio, per second, a count
	m      *metric
}

// ThresholdResult is a threshold checked against a summary.
type ThresholdResult struct {
	Threshold
	Observed float64
	// NoData: the figure does not exist in this run (p99 with no success, a
	// conformance count with no checker); the threshold then fails, never
	// passes by default.
	NoData bool
	Pass   bool
}

type kind uint8

const (
	kindDuration kind = iota
	kindPercent
	kindRate
	kindCount
	kindNumber
)

type metric struct {
	name, help string
	kind       kind
	windowed   bool // computable from counts alone (abort windows)
	get        func(*Summary) (float64, bool)
}

func latency(f func(Latencies) time.Duration) func(*Summary) (float64, bool) {
	return func(s *Summary) (float64, bool) {
		return float64(f(s.SuccessLatencies)), s.SuccessLatencies.Count > 0
	}
}

func count(f func(*Summary) uint64) func(*Summary) (float64, bool) {
	return func(s *Summary) (float64, bool) { return float64(f(s)), true }
}

func whenSent(f func(*Summary) float64) func(*Summary) (float64, bool) {
	return func(s *Summary) (float64, bool) { return f(s), s.Requests > 0 }
}

func chatTokens(f func(*Summary) float64) func(*Summary) (float64, bool) {
	return func(s *Summary) (float64, bool) { return f(s), s.Chat && s.Tokens.WithUsage > 0 }
}

// metricTable holds the names a threshold or an abort condition may use.
var metricTable = []metric{
	{"p50", "median latency of successes", kindDuration, false, latency(func(l Latencies) time.Duration { return l.P50 })},
	{"p90", "90th percentile latency of successes", kindDuration, false, latency(func(l Latencies) time.Duration { return l.P90 })},
	{"p95", "95th percentile latency of successes", kindDuration, false, latency(func(l Latencies) time.Duration { return l.P95 })},
	{"p99", "99th percentile latency of successes", kindDuration, false, latency(func(l Latencies) time.Duration { return l.P99 })},
	{"p99.9", "99.9th percentile latency of successes", kindDuration, false, latency(func(l Latencies) time.Duration { return l.P999 })},
	{"min", "fastest success", kindDuration, false, latency(func(l Latencies) time.Duration { return l.Min })},
	{"mean", "mean latency of successes", kindDuration, false, latency(func(l Latencies) time.Duration { return l.Mean })},
	{"max", "slowest success", kindDuration, false, latency(func(l Latencies) time.Duration { return l.Max })},
	{"success", "share of calls served (chat: a chat completion; models: a models list)", kindPercent, true, whenSent(func(s *Summary) float64 { return s.SuccessRatio() })},
	{"error_rate", "share of calls not served (429s included)", kindPercent, true, whenSent(func(s *Summary) float64 { return s.ErrorRatio() })},
	{"rate", "achieved request rate", kindRate, true, whenSent(func(s *Summary) float64 { return s.Rate })},
	{"offered_rate", "offered rate (sent and missed slots)", kindRate, false, whenSent(func(s *Summary) float64 { return s.OfferedRate })},
	{"throughput", "successes per second", kindRate, true, whenSent(func(s *Summary) float64 { return s.Throughput })},
	{"requests", "calls sent", kindCount, true, count(func(s *Summary) uint64 { return s.Requests })},
	{"errors", "calls not served (429s included)", kindCount, true, count(func(s *Summary) uint64 { return s.Requests - s.Successes })},
	{"failures", "calls neither a success nor a 429", kindCount, true, count(func(s *Summary) uint64 { return s.Failures })},
	{"not_completions", "2xx answers that are not a chat completion (models: not a models list)", kindCount, false, count(func(s *Summary) uint64 {
		return s.ErrorClasses[ClassNotCompletion] + s.ErrorClasses[ClassNotModelsList]
	})},
	{"rate_limited", "429 answers", kindCount, true, count(func(s *Summary) uint64 { return s.RateLimited })},
	{"missed", "slots dropped because every worker was busy", kindCount, false, count(func(s *Summary) uint64 { return s.Missed })},
	{"tokens", "total tokens spent (usage.total_tokens)", kindCount, false, chatTokens(func(s *Summary) float64 { return float64(s.Tokens.Total) })},
	{"prompt_tokens", "prompt tokens spent", kindCount, false, chatTokens(func(s *Summary) float64 { return float64(s.Tokens.Prompt) })},
	{"completion_tokens", "completion tokens spent", kindCount, false, chatTokens(func(s *Summary) float64 { return float64(s.Tokens.Completion) })},
	{"tokens_per_s", "output (completion) tokens per second", kindRate, false, chatTokens(func(s *Summary) float64 { return s.Tokens.OutputPerSecond })},
	{"ms_per_token", "mean milliseconds per output token", kindNumber, false, func(s *Summary) (float64, bool) {
		return s.Tokens.PerOutputToken.Mean / 1000, s.Tokens.PerOutputToken.Count > 0
	}},
	{"violations", "sampled replies breaking a CHAT clause", kindCount, false, func(s *Summary) (float64, bool) {
		return float64(s.Conformance.Violating), s.Conformance.Checked
	}},
}

// MetricNames lists every name a threshold may use, with what it measures.
func MetricNames() [][2]string {
	out := make([][2]string, len(metricTable))
	for i, m := range metricTable {
		out[i] = [2]string{m.name, m.help}
	}
	return out
}

func lookupMetric(name string) *metric {
	for i := range metricTable {
		if metricTable[i].name == name {
			return &metricTable[i]
		}
	}
	return nil
}

var thresholdRE = regexp.MustCompile(`^\s*([A-Za-z0-9_.]+)\s*(<=|>=|==|!=|<|>)\s*(\S.*?)\s*$`)

// ParseThreshold reads "METRIC OP VALUE". An unknown metric or a malformed
// expression is an error, never a threshold that silently passes.
func ParseThreshold(expr string) (Threshold, error) {
	g := thresholdRE.FindStringSubmatch(expr)
	if g == nil {
		return Threshold{}, fmt.Errorf("threshold %q: write METRIC OP VALUE, like p99<2s, success>=99.5%%, rate>=4.9/s, errors==0", expr)
	}
	m := lookupMetric(strings.ToLower(g[1]))
	if m == nil {
		names := make([]string, len(metricTable))
		for i, x := range metricTable {
			names[i] = x.name
		}
		return Threshold{}, fmt.Errorf("threshold %q: unknown metric %q; use one of %s", expr, g[1], strings.Join(names, ", "))
	}
	v, err := m.kind.parse(g[3])
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %v", expr, err)
	}
	return Threshold{Expr: strings.TrimSpace(expr), Metric: m.name, Op: g[2], Value: v, m: m}, nil
}

// ParseThresholds parses each expression; the first bad one is the error.
func ParseThresholds(exprs []string) ([]Threshold, error) {
	out := make([]Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := ParseThreshold(e)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (k kind) parse(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch k {
	case kindDuration:
		if s == "0" {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration like 2s or 500ms", s)
		}
		return float64(d), nil
	case kindPercent:
		p, ok := strings.CutSuffix(s, "%")
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if !ok || err != nil || v < 0 || v > 100 {
			return 0, fmt.Errorf("%q is not a percentage like 99.5%%", s)
		}
		return v / 100, nil
	case kindRate:
		r, err := ParseRate(s)
		if err != nil {
			return 0, err
		}
		return float64(r), nil
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0, fmt.Errorf("%q is not a number of 0 or more", s)
		}
		return v, nil
	}
}

func (k kind) format(v float64) string {
	switch k {
	case kindDuration:
		return FormatDuration(time.Duration(v))
	case kindPercent:
		return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
	case kindRate:
		return strconv.FormatFloat(v, 'f', 2, 64) + "/s"
	case kindCount:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// FormatDuration rounds a latency for people: 3 significant figures.
func FormatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond).String()
	}
	return d.String()
}

// Check evaluates the threshold on a summary.
func (t Threshold) Check(s *Summary) ThresholdResult {
	v, ok := t.m.get(s)
	r := ThresholdResult{Threshold: t, Observed: v, NoData: !ok}
	r.Pass = ok && compare(v, t.Op, t.Value)
	return r
}

// Observed is the observed figure in the metric's unit, or "no data".
func (r ThresholdResult) ObservedString() string {
	if r.NoData {
		return "no data"
	}
	if r.m.kind == kindPercent {
		return strconv.FormatFloat(r.Observed*100, 'f', 3, 64) + "%"
	}
	return r.m.kind.format(r.Observed)
}

// CheckThresholds evaluates every threshold; ok when all pass.
func CheckThresholds(ts []Threshold, s *Summary) (results []ThresholdResult, ok bool) {
	ok = true
	for _, t := range ts {
		r := t.Check(s)
		results = append(results, r)
		ok = ok && r.Pass
	}
	return results, ok
}

func compare(a float64, op string, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	default:
		return a != b
	}
}
