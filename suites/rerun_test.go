package suites

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// A rerun of one spec of the RATE workflow brings the specs before it, whose
// bursts it judges; a rerun elsewhere is just the spec. The focus selects
// exactly the specs named.
func TestRerunSelectsTheSpecsAndWhatTheyNeed(t *testing.T) {
	cfg := planConfig()
	full, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rate, plain []PlannedSpec
	for _, s := range full.Specs {
		if strings.HasPrefix(s.Clause, "RATE-") {
			rate = append(rate, s)
		} else if plain == nil || len(plain) < 2 {
			plain = append(plain, s)
		}
	}
	if len(rate) < 2 || len(plain) < 2 {
		t.Fatalf("want RATE specs and others, got %d and %d", len(rate), len(plain))
	}
	last := rate[len(rate)-1] // the workflow's last spec needs every one before it
	names := []string{plain[1].Name, last.Name, "a spec since renamed"}
	selected, missing, err := Rerun(cfg, names)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"a spec since renamed"}) {
		t.Errorf("missing = %v", missing)
	}
	if !slices.Contains(selected, plain[1].Name) || slices.Contains(selected, plain[0].Name) {
		t.Errorf("selected %v: want %q alone of the plain specs", selected, plain[1].Name)
	}
	for _, r := range rate {
		if !slices.Contains(selected, r.Name) {
			t.Errorf("the RATE workflow's %q is not rerun with %q", r.Name, last.Name)
		}
	}
	cfg.Focus = FocusOn(selected)
	plan, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, s := range plan.Specs {
		if s.Selected {
			ran = append(ran, s.Name)
		}
	}
	slices.Sort(ran)
	want := slices.Clone(selected)
	slices.Sort(want)
	if !slices.Equal(ran, want) {
		t.Errorf("the focus selects %v, want %v", ran, want)
	}
}

// planConfig is a run that Prepare can plan: nothing is sent.
func planConfig() Config {
	return Config{Root: target.MustParseBaseURL("http://127.0.0.1:9/ai"), Keys: Keys{API: "cai_0123456789"},
		Limit: target.Limit{N: 60, Window: time.Minute}}
}
