package suites

import (
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

func TestMaxWait(t *testing.T) {
	perMinute := target.Limit{N: 60, Window: time.Minute}
	pw := PaceWindow(time.Minute) // 63.025s; PaceCap(60) = 54
	all := map[string]bool{"RATE-1": true, "RATE-2": true, "RATE-3": true}
	cases := []struct {
		name  string
		paced int
		rate  map[string]bool
		want  time.Duration
	}{
		{"nothing", 0, nil, 0},
		{"within one pace window", 54, nil, 0},
		{"one call over the pace cap", 55, nil, pw},
		{"three pace windows", 3*54 + 1, nil, 3 * pw},
		{"RATE-2 alone: the RATE workflow's own waits", 10, map[string]bool{"RATE-2": true}, rateMaxWait(perMinute, map[string]bool{"RATE-2": true})},
		{"a whole run: pacing, then the RATE workflow", 55, all, pw + rateMaxWait(perMinute, all)},
	}
	for _, c := range cases {
		if got := MaxWait(perMinute, c.paced, c.rate); got != c.want {
			t.Errorf("%s: MaxWait = %s, want %s", c.name, got, c.want)
		}
	}
}

// The plan states the wait of the specs it selects.
func TestPlanStatesTheWait(t *testing.T) {
	cfg := Config{Root: target.MustParseBaseURL("http://127.0.0.1:9/ai"), Keys: Keys{API: "cai_0123456789"},
		Limit: target.Limit{N: 60, Window: time.Minute}}
	full, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if min := 3 * time.Minute; full.MaxWait < min || full.MaxWait > 10*time.Minute {
		t.Errorf("every spec at 60/1m: MaxWait %s, want between %s and 10m", full.MaxWait, min)
	}
	cfg.LabelFilter = "!area:rate"
	noRate, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := MaxWait(cfg.Limit, noRate.MaxCalls, nil); noRate.MaxWait != want || noRate.MaxWait >= full.MaxWait-2*time.Minute {
		t.Errorf("without RATE: MaxWait %s, want %s, well below the full run's %s", noRate.MaxWait, want, full.MaxWait)
	}
}
