package load

import (
	"strings"
	"testing"
	"time"
)

func TestParseThresholdGood(t *testing.T) {
	cases := map[string]struct {
		metric, op string
		value      float64
	}{
		"p99<2s":              {"p99", "<", float64(2 * time.Second)},
		"p95 <= 500ms":        {"p95", "<=", float64(500 * time.Millisecond)},
		"success>=99.5%":      {"success", ">=", 0.995},
		"rate>=4.9/s":         {"rate", ">=", 4.9},
		"rate>=300/1m":        {"rate", ">=", 5},
		"errors==0":           {"errors", "==", 0},
		"tokens_per_s>=100":   {"tokens_per_s", ">=", 100},
		"missed!=3":           {"missed", "!=", 3},
		"ms_per_token<12.5":   {"ms_per_token", "<", 12.5},
		"error_rate>1%":       {"error_rate", ">", 0.01},
		"P99<1s":              {"p99", "<", float64(time.Second)},
		"violations==0":       {"violations", "==", 0},
		"rate_limited<=10":    {"rate_limited", "<=", 10},
		"throughput>4/s":      {"throughput", ">", 4},
		"max<3s":              {"max", "<", float64(3 * time.Second)},
		"completion_tokens<1": {"completion_tokens", "<", 1},
	}
	for in, want := range cases {
		th, err := ParseThreshold(in)
		if err != nil {
			t.Errorf("ParseThreshold(%q): %v", in, err)
			continue
		}
		if th.Metric != want.metric || th.Op != want.op || th.Value != want.value {
			t.Errorf("ParseThreshold(%q) = %s %s %v", in, th.Metric, th.Op, th.Value)
		}
	}
}

func TestParseThresholdBad(t *testing.T) {
	cases := map[string]string{
		"p98<2s":         "unknown metric",
		"latency<2s":     "unknown metric",
		"p99<2":          "duration",
		"p99 2s":         "METRIC OP VALUE",
		"success>=99.5":  "percentage",
		"success>=101%":  "percentage",
		"rate>=fast":     "rate",
		"errors==-1":     "number",
		"":               "METRIC OP VALUE",
		"p99<":           "METRIC OP VALUE",
		"p99=<2s":        "METRIC OP VALUE",
		"errors==zero":   "number",
		"tokens_per_s>x": "rate",
	}
	for in, want := range cases {
		_, err := ParseThreshold(in)
		if err == nil {
			t.Errorf("ParseThreshold(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseThreshold(%q) = %q, want one line mentioning %q", in, err, want)
		}
	}
}

func TestThresholdCheck(t *testing.T) {
	s := &Summary{Requests: 200, Successes: 199, RateLimited: 1, Rate: 5.01,
		SuccessLatencies: Latencies{Count: 199, P99: 1500 * time.Millisecond}}
	s.Chat, s.Tokens.WithUsage, s.Tokens.OutputPerSecond = true, 199, 120
	pass := []string{"p99<2s", "success>=99.5%", "rate>=4.9/s", "errors==1", "tokens_per_s>=100", "rate_limited<=1"}
	fail := []string{"p99<1s", "success>99.5%", "errors==0", "tokens_per_s>=200", "violations==0"}
	for _, e := range pass {
		if r := mustThreshold(t, e).Check(s); !r.Pass {
			t.Errorf("%s failed on %+v (observed %s)", e, s, r.ObservedString())
		}
	}
	for _, e := range fail {
		if r := mustThreshold(t, e).Check(s); r.Pass {
			t.Errorf("%s passed (observed %s)", e, r.ObservedString())
		}
	}
	// No successes: a latency threshold has no data and fails, never passes.
	empty := &Summary{Requests: 10, Failures: 10}
	r := mustThreshold(t, "p99<2s").Check(empty)
	if r.Pass || !r.NoData || r.ObservedString() != "no data" {
		t.Errorf("p99 with no success: %+v", r)
	}
	if _, ok := CheckThresholds([]Threshold{mustThreshold(t, "success>=0%"), mustThreshold(t, "p99<2s")}, empty); ok {
		t.Error("CheckThresholds passed with a no-data threshold")
	}
}

func mustThreshold(t *testing.T, e string) Threshold {
	t.Helper()
	th, err := ParseThreshold(e)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestParseAbort(t *testing.T) {
	a, err := ParseAbort("error_rate>10% for 10s")
	if err != nil || a.Window != 10*time.Second || a.When.Metric != "error_rate" {
		t.Fatalf("ParseAbort: %+v %v", a, err)
	}
	if a, err := ParseAbort("tokens>50000"); err != nil || a.Window != 0 {
		t.Errorf("cumulative abort: %+v %v", a, err)
	}
	for _, bad := range []string{"p99>2s for 10s", "error_rate>10% for soon", "error_rate>10% for 1ms", "nope>1"} {
		if _, err := ParseAbort(bad); err == nil {
			t.Errorf("ParseAbort(%q) accepted", bad)
		}
	}
}

func TestWindowCounts(t *testing.T) {
	w := newWindow(time.Second)
	add := func(from, to int) { // 10/s: the first 2 s succeed, then failures
		for i := from; i < to; i++ {
			o := Success
			if i >= 20 {
				o = Failure
			}
			w.add(time.Duration(i)*100*time.Millisecond, o)
		}
	}
	add(0, 25)
	if s := w.summary(2450*time.Millisecond, time.Second); s.Requests != 10 || s.Failures != 5 || s.Rate != 10 {
		t.Errorf("window straddling: %d requests, %d failures, rate %v", s.Requests, s.Failures, s.Rate)
	}
	add(25, 30)
	if s := w.summary(2950*time.Millisecond, time.Second); s.Requests != 10 || s.Failures != 10 || s.ErrorRatio() != 1 {
		t.Errorf("last second: %d requests, %d failures", s.Requests, s.Failures)
	}
}
