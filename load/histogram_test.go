package load

import (
	"bytes"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestParseBuckets(t *testing.T) {
	for in, want := range map[string]vegeta.Buckets{
		"0,10ms,50ms":   {0, 10 * time.Millisecond, 50 * time.Millisecond},
		"[0,10ms,50ms]": {0, 10 * time.Millisecond, 50 * time.Millisecond},
		"10ms, 1s":      {0, 10 * time.Millisecond, time.Second},
	} {
		got, err := ParseBuckets(in)
		if err != nil || len(got) != len(want) {
			t.Fatalf("%q: %v, %v", in, got, err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q: %v, want %v", in, got, want)
			}
		}
	}
	for _, bad := range []string{"", "10ms,5ms", "0,0", "fast", "-1s"} {
		if _, err := ParseBuckets(bad); err == nil || !strings.Contains(err.Error(), "histogram buckets") {
			t.Errorf("%q: %v, want an error naming the buckets", bad, err)
		}
	}
}

func TestLatencyHistogramText(t *testing.T) {
	b, _ := ParseBuckets("0,10ms,50ms")
	h := NewBucketHistogram(b)
	for _, ms := range []int{1, 2, 20, 70} {
		_ = h.Add(&Hit{Result: &vegeta.Result{Latency: time.Duration(ms) * time.Millisecond}})
	}
	var buf bytes.Buffer
	if err := h.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Bucket", "[0s,", "2  50.00%", "1  25.00%", "+Inf]"} {
		if !strings.Contains(out, want) {
			t.Errorf("histogram text lacks %q:\n%s", want, out)
		}
	}
	if h.Total() != 4 {
		t.Errorf("total %d", h.Total())
	}
}
