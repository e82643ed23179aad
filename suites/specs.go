package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// bridge is the one runtime of the run, handed to the spec tree when Ginkgo
// builds it (Prepare and Run set it, under runMu, before Ginkgo does): Ginkgo
// builds its tree from package-level containers, so one hand-over is needed.
// The tree reads it once; every spec gets the runtime as an argument.
var bridge *runtime

// The suite is one top-level container, so Ginkgo does not shuffle it (it
// shuffles only top-level containers) and runs its specs in the order they
// are declared: the rows of the domain table, then the rate-limit workflow,
// so that its quiet period follows everything else.
var _ = Describe(suiteName, func() {
	r := bridge
	// The live status line follows the specs (Ginkgo's report hooks would
	// also run in the plan's dry run).
	BeforeEach(func() { r.status.begin(parseLabels(CurrentSpecReport().Labels()).Clause) })
	AfterEach(func() { r.status.end() })
	BeforeEach(func() { skipIfStopped(r) })
	AfterEach(func() { noteFailFast(r, CurrentSpecReport()) })
	for _, row := range Rows() {
		rowSpec(r, row)
	}
	Describe("the rate limit", Ordered, ContinueOnFailure, func() { rateSpecs(r) })
})

// rowSpec is the spec of one row: fetch the probe's reply (shared with every
// row naming the same probe), and the reference's, and judge them.
func rowSpec(r *runtime, row Row) {
	It(row.Name(), rowLabels(row), func(ctx SpecContext) {
		AddReportEntry(entryScope, row.Probe.String(), ReportEntryVisibilityNever)
		got := r.fetch(ctx, row.Probe)
		var ref *Reply
		exs := []*target.Exchange{got.Ex}
		if row.Ref != nil {
			if row.Peeked {
				ref = r.peek(*row.Ref)
			} else {
				ref = r.fetch(ctx, *row.Ref)
			}
			if row.Compared {
				exs = append(exs, ref.Ex)
			}
		}
		if got.SDK != nil {
			exs = got.SDKExs
		}
		note, err := row.Expect.Check(got, ref)
		r.judged(contract.MustLookup(row.Clause).Level == contract.Info, note, err, exs...)
	})
}
