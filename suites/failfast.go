package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// --fail-fast, for a quick gate: the first spec that fails the run (an
// error, a broken MUST, or a broken SHOULD under --strict) stops it; the
// specs after it are skipped with the reason. A broken SHOULD that only
// warns does not stop it, unlike Ginkgo's own fail-fast.

// noteFailFast runs after each spec.
func noteFailFast(r *runtime, sr types.SpecReport) {
	if r.cfg.FailFast && sr.Failed() && failsRun(sr, r.cfg.Strict) {
		r.status.stop(fmt.Sprintf("--fail-fast stopped the run after %s (%s)", parseLabels(sr.Labels()).Clause, specName(sr)))
	}
}

// skipIfStopped runs before each spec.
func skipIfStopped(r *runtime) {
	if why := r.status.stoppedBy(); why != "" {
		Skip("not run: " + why)
	}
}

// failsRun tells whether a failed spec fails the run, as Aggregate judges it.
func failsRun(sr types.SpecReport, strict bool) bool {
	for _, e := range sr.ReportEntries {
		if e.Name == entryErrored {
			return true
		}
	}
	switch parseLabels(sr.Labels()).Level {
	case "must":
		return true
	case "should":
		return strict
	}
	return false
}
