package load

import (
	"math"
	"net/http"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Latencies 1 ms … 1000 ms, shuffled: every figure is known.
func TestHistogramKnownValues(t *testing.T) {
	h := NewLatencyHistogram()
	for i := 0; i < 1000; i++ {
		v := (i*7919)%1000 + 1 // a permutation of 1..1000
		h.Record(int64(v) * int64(time.Millisecond))
	}
	l := h.Latencies()
	exact := map[string][2]time.Duration{
		"count": {time.Duration(l.Count), 1000},
		"min":   {l.Min, time.Millisecond},
		"max":   {l.Max, time.Second},
		"mean":  {l.Mean, 500500 * time.Microsecond},
		"total": {l.Total, 500500 * time.Millisecond},
	}
	for name, v := range exact {
		if v[0] != v[1] {
			t.Errorf("%s = %s, want exactly %s", name, v[0], v[1])
		}
	}
	// HDR at 3 significant digits: within 0.1% of the true rank value.
	within := map[string][2]time.Duration{
		"p50":   {l.P50, 500 * time.Millisecond},
		"p90":   {l.P90, 900 * time.Millisecond},
		"p95":   {l.P95, 950 * time.Millisecond},
		"p99":   {l.P99, 990 * time.Millisecond},
		"p99.9": {l.P999, 999 * time.Millisecond},
	}
	for name, v := range within {
		if rel := math.Abs(float64(v[0]-v[1])) / float64(v[1]); rel > 0.001 {
			t.Errorf("%s = %s, want %s within 0.1%%", name, v[0], v[1])
		}
	}
	if e := NewLatencyHistogram().Latencies(); e != (Latencies{}) {
		t.Errorf("empty histogram: %+v", e)
	}
	// Out of range values clamp in the percentiles, stay exact at the ends.
	o := NewLatencyHistogram()
	o.Record(int64(2 * time.Hour))
	o.Record(10)
	if l := o.Latencies(); l.Max != 2*time.Hour || l.Min != 10 || l.P99 < time.Hour || l.P99 > 2*time.Hour {
		t.Errorf("out of range: %+v", l)
	}
}

func chatBody(prompt, completion int, finish string) []byte {
	return target.JSON(map[string]any{
		"choices": []any{map[string]any{"finish_reason": finish, "message": map[string]any{"role": "assistant", "content": "x"}}},
		"usage":   map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
	})
}

func TestMetricsSummary(t *testing.T) {
	m := NewMetrics(2)
	t0 := time.Unix(1000, 0)
	add := func(seq int, code uint16, lat time.Duration, body []byte, errMsg string) {
		h := &Hit{Result: &vegeta.Result{Seq: uint64(seq), Code: code, Timestamp: t0.Add(time.Duration(seq) * 100 * time.Millisecond),
			Latency: lat, Body: body, Error: errMsg, BytesOut: 10, BytesIn: uint64(len(body)),
			Headers: http.Header{"Content-Type": {"application/json"}}}, KeyIndex: seq % 2, BodyIndex: 0}
		h.Classify(false)
		m.Add(h)
	}
	add(0, 200, 100*time.Millisecond, chatBody(10, 20, "stop"), "")
	add(1, 200, 300*time.Millisecond, chatBody(10, 30, "length"), "")
	add(2, 429, 5*time.Millisecond, nil, "429 Too Many Requests")
	add(3, 0, time.Second, nil, "Post \"x\": net/http: request canceled (Client.Timeout exceeded while awaiting headers)")
	add(4, 500, 50*time.Millisecond, nil, "500 Internal Server Error")
	s := m.Summary()
	if s.Requests != 5 || s.Successes != 2 || s.RateLimited != 1 || s.Failures != 2 {
		t.Fatalf("counts %d/%d/%d/%d", s.Requests, s.Successes, s.RateLimited, s.Failures)
	}
	// The timeout sent at 300 ms ends last, at 1.3 s.
	if s.Duration != 400*time.Millisecond || s.Wait != 900*time.Millisecond {
		t.Errorf("duration %s wait %s, want 400ms and 900ms (vegeta: latest-earliest, end-latest)", s.Duration, s.Wait)
	}
	if s.Rate != 12.5 || math.Abs(s.Throughput-2/1.3) > 1e-9 || s.Success != 0.4 {
		t.Errorf("rate %v throughput %v success %v", s.Rate, s.Throughput, s.Success)
	}
	if s.SuccessLatencies.Min != 100*time.Millisecond || s.SuccessLatencies.Max != 300*time.Millisecond || s.SuccessLatencies.Mean != 200*time.Millisecond {
		t.Errorf("success latencies %+v", s.SuccessLatencies)
	}
	if s.RateLimitedLatencies.Count != 1 || s.FailureLatencies.Count != 2 || s.Latencies.Count != 5 {
		t.Error("latencies not split by outcome")
	}
	if s.StatusCodes[200] != 2 || s.StatusCodes[0] != 1 || s.StatusCodes[429] != 1 {
		t.Errorf("codes %v", s.StatusCodes)
	}
	if s.ErrorClasses["timeout"] != 1 || s.ErrorClasses["http 5xx"] != 1 || s.ErrorClasses["http 429"] != 1 {
		t.Errorf("classes %v", s.ErrorClasses)
	}
	tk := s.Tokens
	if tk.Prompt != 20 || tk.Completion != 50 || tk.Total != 70 || tk.WithUsage != 2 {
		t.Errorf("tokens %+v", tk)
	}
	if tk.CompletionPerCall.Min != 20 || tk.CompletionPerCall.Max != 30 || tk.CompletionPerCall.Mean != 25 {
		t.Errorf("completion per call %+v", tk.CompletionPerCall)
	}
	// 100ms/20 = 5000 µs and 300ms/30 = 10000 µs per token.
	if tk.PerOutputToken.Min != 5000 || tk.PerOutputToken.Max != 10000 {
		t.Errorf("per output token %+v", tk.PerOutputToken)
	}
	if got := tk.OutputPerSecond; math.Abs(got-50/1.3) > 1e-9 {
		t.Errorf("output tokens/s %v", got)
	}
	if s.FinishReasons["stop"] != 1 || s.FinishReasons["length"] != 1 {
		t.Errorf("finish reasons %v", s.FinishReasons)
	}
	if s.Keys[0].Requests != 3 || s.Keys[1].Requests != 2 || s.Keys[0].RateLimited != 1 {
		t.Errorf("keys %+v", s.Keys)
	}
	if len(s.Errors) != 3 {
		t.Errorf("errors %v", s.Errors)
	}
}

func TestClassifyError(t *testing.T) {
	cases := map[string]string{
		"Get \"http://x\": dial tcp 127.0.0.1:1: connect: connection refused": "connection refused",
		"context deadline exceeded (Client.Timeout exceeded)":                 "timeout",
		"read: connection reset by peer":                                      "connection reset",
		"unexpected EOF":                                                      "connection closed",
		"tls: handshake failure":                                              "tls",
		"something odd":                                                       "network",
	}
	for in, want := range cases {
		if got := ClassifyError(in); got != want {
			t.Errorf("ClassifyError(%q) = %q, want %q", in, got, want)
		}
	}
}

// Percentiles are within the HDR precision the reports promise (±0.1%) at
// every latency, sub-millisecond ones included.
func TestHistogramPrecision(t *testing.T) {
	for _, span := range []struct{ from, step time.Duration }{
		{50 * time.Microsecond, 523 * time.Nanosecond}, // 50–573 µs
		{3 * time.Millisecond, 7 * time.Microsecond},
		{2 * time.Second, 3 * time.Millisecond},
	} {
		h := NewLatencyHistogram()
		var exact []int64
		for i := range 1000 {
			v := int64(span.from + time.Duration(i)*span.step)
			h.Record(v)
			exact = append(exact, v)
		}
		for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
			want := exact[int(math.Ceil(q*float64(len(exact))))-1]
			if got := h.Quantile(q); math.Abs(float64(got-want)) > 0.001*float64(want) {
				t.Errorf("from %s: p%g %s, exactly %s (off by %.3f%%)", span.from, 100*q, time.Duration(got), time.Duration(want), 100*math.Abs(float64(got-want))/float64(want))
			}
		}
	}
}
