package results

// SpecRef names a spec of a run.
type SpecRef struct {
	Clause string
	Name   string
}

// FailedSpecs are what --rerun-failed runs again from a report: every spec
// that broke a clause the run counts as failed (FAIL or ERROR), in report
// order. A waived failure is accepted, so it is not among them; a broken
// SHOULD that only warns is not either.
func FailedSpecs(c *Conformance) []SpecRef {
	var out []SpecRef
	for _, cr := range c.Clauses {
		if !cr.Verdict.Failing() {
			continue
		}
		for _, s := range cr.Specs {
			if breaking(s.Outcome) && !s.Waived {
				out = append(out, SpecRef{Clause: cr.ID, Name: s.Name})
			}
		}
	}
	return out
}
