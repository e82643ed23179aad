package compare

import (
	"slices"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// Run names one side of a comparison.
type Run struct {
	Name        string    `json:"name"` // the report's path
	Target      string    `json:"target"`
	ToolVersion string    `json:"tool_version"`
	Started     time.Time `json:"started"`
	Summary     string    `json:"summary"` // "FAIL: 30 PASS · 1 FAIL", "240 calls at 4.0/s"
}

// Change is a clause or one of its specs whose state differs between the
// runs. Old and New are clause verdicts, or spec outcomes; "" is absent.
type Change struct {
	Clause string `json:"clause"`
	Spec   string `json:"spec,omitempty"` // "" for the clause itself
	Old    string `json:"old"`
	New    string `json:"new"`
	Detail string `json:"detail,omitempty"` // the newer run's detail, else the older's
}

// ConformanceDiff is what changed between two conformance runs.
type ConformanceDiff struct {
	Old, New Run
	// Regressions newly FAIL or ERROR (a WAIVED failure is not one).
	Regressions []Change `json:"regressions"`
	// Fixed failed or errored before and pass (or only warn) now.
	Fixed []Change `json:"fixed"`
	// Waived are WAIVED now and were not before: a failure accepted.
	Waived []Change `json:"waived"`
	// Appeared were not run before and are now, without failing.
	Appeared []Change `json:"appeared"`
	// Vanished ran before and do not now (absent or skipped).
	Vanished []Change `json:"vanished"`
}

// ExitCode is 1 when a regression was found, else 0.
func (d *ConformanceDiff) ExitCode() int {
	if len(d.Regressions) > 0 {
		return results.ExitViolation
	}
	return results.ExitOK
}

// Conformance compares two conformance runs clause by clause, then spec by
// spec.
func Conformance(old, new *Report) *ConformanceDiff {
	d := &ConformanceDiff{Old: conformanceRun(old), New: conformanceRun(new)}
	o, n := old.Conformance, new.Conformance
	for _, id := range clauseIDs(o, n) {
		oc, _ := o.Clause(id)
		nc, _ := n.Clause(id)
		d.add(Change{Clause: id, Old: string(oc.Verdict), New: string(nc.Verdict), Detail: firstNonEmpty(nc.Detail, oc.Detail)},
			clauseFailing(oc), clauseFailing(nc), oc.Verdict != "" && oc.Verdict != results.Skip, nc.Verdict != "" && nc.Verdict != results.Skip)
		oldSpecs, newSpecs := specsOf(oc), specsOf(nc)
		for _, name := range specNames(oc, nc) {
			so, sn := oldSpecs[name], newSpecs[name]
			d.add(Change{Clause: id, Spec: name, Old: string(so.Outcome), New: specState(sn), Detail: firstNonEmpty(sn.Detail, so.Detail)},
				specFailing(oc, so), specFailing(nc, sn), ran(so), ran(sn))
		}
	}
	return d
}

// add files a change by what it is; old and new say whether each side fails
// and whether it ran at all.
func (d *ConformanceDiff) add(c Change, oldFails, newFails, oldRan, newRan bool) {
	newWaived := c.New == string(results.Waived) || c.New == waivedSpec
	switch {
	case newFails && !oldFails:
		d.Regressions = append(d.Regressions, c)
	case newWaived && c.Old != c.New: // broken now or before, accepted now
		d.Waived = append(d.Waived, c)
	case oldFails && !newFails && newRan:
		d.Fixed = append(d.Fixed, c)
	case !oldRan && newRan && !newFails:
		d.Appeared = append(d.Appeared, c)
	case oldRan && !newRan:
		d.Vanished = append(d.Vanished, c)
	}
}

func clauseFailing(c results.ClauseResult) bool { return c.Verdict.Failing() }

// specFailing tells whether a spec makes its clause fail: it broke, its
// clause's verdict is a failure, and no waiver accepts it.
func specFailing(c results.ClauseResult, s results.SpecResult) bool {
	return (s.Outcome == results.OutcomeViolated || s.Outcome == results.OutcomeErrored) && !s.Waived && c.Verdict.Failing()
}

func ran(s results.SpecResult) bool { return s.Outcome != "" && s.Outcome != results.OutcomeSkipped }

// waivedSpec is a spec's state when a waiver accepts its break.
const waivedSpec = "waived"

// specState is a spec's outcome, or waivedSpec for an accepted break.
func specState(s results.SpecResult) string {
	if s.Waived {
		return waivedSpec
	}
	return string(s.Outcome)
}

func conformanceRun(r *Report) Run {
	c := r.Conformance
	return Run{Name: r.Name, Target: c.Target, ToolVersion: c.ToolVersion, Started: c.Started,
		Summary: string(c.Overall()) + ": " + results.CountsLine(results.CountVerdicts(c.Clauses))}
}

// clauseIDs is every clause of either run, in the newer run's order, then
// the ones only the older has.
func clauseIDs(o, n *results.Conformance) []string {
	var ids []string
	for _, c := range append(slices.Clone(n.Clauses), o.Clauses...) {
		if !slices.Contains(ids, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func specsOf(c results.ClauseResult) map[string]results.SpecResult {
	m := make(map[string]results.SpecResult, len(c.Specs))
	for _, s := range c.Specs {
		m[s.Name] = s
	}
	return m
}

// specNames is every spec name of either side, newer first.
func specNames(o, n results.ClauseResult) []string {
	var names []string
	for _, s := range append(slices.Clone(n.Specs), o.Specs...) {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
