package suites

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func TestFailsRunAsAggregateJudges(t *testing.T) {
	spec := func(level string, errored bool) types.SpecReport {
		sr := types.SpecReport{State: types.SpecStateFailed, LeafNodeLabels: []string{labelLevel + level}}
		if errored {
			sr.ReportEntries = types.ReportEntries{{Name: entryErrored}}
		}
		return sr
	}
	for _, c := range []struct {
		level         string
		errored       bool
		strict, stops bool
	}{
		{"must", false, false, true},
		{"should", false, false, false}, // a WARN does not stop a gate
		{"should", false, true, true},
		{"info", false, true, false},
		{"info", true, false, true}, // the tool failed
	} {
		if got := failsRun(spec(c.level, c.errored), c.strict); got != c.stops {
			t.Errorf("%s errored=%v strict=%v: stops %v, want %v", c.level, c.errored, c.strict, got, c.stops)
		}
	}
	s := newStatus(&Meter{}, 3)
	s.stop("first")
	s.stop("second")
	if s.stoppedBy() != "first" {
		t.Errorf("stoppedBy %q: the first reason stays", s.stoppedBy())
	}
}
