package reports

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load/ratelimit"
)

// ratelimitLog is a fixed window of 3 per second opened by the first call:
// a burst refused at the fourth, a refused probe, then a new window.
func ratelimitLog() []ratelimit.Call {
	t0 := time.Unix(1_700_000_000, 0)
	call := func(ms int, phase ratelimit.Phase, status int) ratelimit.Call {
		c := ratelimit.Call{Phase: phase, Kind: ratelimit.KindChat, Sent: t0.Add(time.Duration(ms) * time.Millisecond), Latency: time.Millisecond, Status: status}
		if status == http.StatusTooManyRequests {
			c.Header = http.Header{"Retry-After": {"1"}, "X-Ratelimit-Limit": {"3"}}
		}
		return c
	}
	return []ratelimit.Call{
		call(0, ratelimit.PhaseMarker, 200), call(100, ratelimit.PhaseBurst, 200), call(110, ratelimit.PhaseBurst, 200),
		call(120, ratelimit.PhaseBurst, 429), call(500, ratelimit.PhaseRefill, 429), call(1050, ratelimit.PhaseBoundary, 200),
	}
}

func TestWriteRatelimit(t *testing.T) {
	limit := target.Limit{N: 3, Window: time.Second}
	f := ratelimit.Analyze(ratelimitLog(), ratelimit.Config{Expect: limit, Tolerance: 0})
	var b bytes.Buffer
	if err := WriteRatelimit(&b, f); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"burst capacity", "3 served back to back", "Retry-After", "header X-Ratelimit-Limit", "Timeline", "Spent 6 calls", "Verdict: PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > TableWidth {
			t.Errorf("line wider than %d: %q", TableWidth, line)
		}
	}
	var js bytes.Buffer
	if err := WriteRatelimitJSON(&js, f); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || doc["schema"] != ratelimit.SchemaFindings {
		t.Errorf("JSON: %v, schema %v", err, doc["schema"])
	}
}
