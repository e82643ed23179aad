package suites

import . "github.com/onsi/ginkgo/v2"

// The suite is one top-level container, so Ginkgo does not shuffle it (it
// shuffles only top-level containers) and runs its specs in the order of their
// code locations: the workflow containers are therefore all declared here, one
// line after another, in the order of the contract, with the rate-limit
// workflow last so that its quiet period follows everything else.
var _ = Describe(suiteName, func() {
	// The live status line follows the specs (Ginkgo's report hooks would
	// also run in the plan's dry run).
	BeforeEach(func() { rt.status.begin(parseLabels(CurrentSpecReport().Labels()).Clause) })
	AfterEach(func() { rt.status.end() })
	BeforeEach(func() { skipIfStopped(rt) })
	AfterEach(func() { noteFailFast(rt, CurrentSpecReport()) })
	Describe("routes and base URLs", routeSpecs)
	Describe("the models endpoint", modelsSpecs)
	Describe("model binding", modelSpecs)
	Describe("the chat completion", chatSpecs)
	Describe("authentication", authSpecs)
	Describe("billing and access", accessSpecs)
	Describe("errors", errorSpecs)
	Describe("the official OpenAI Go SDK", sdkSpecs)
	Describe("the rate limit", Ordered, ContinueOnFailure, rateSpecs)
})

// table is DescribeTable with the Clause decorator first: one spec per row.
func table(text string, clause Labels, body any, rows ...TableEntry) bool {
	args := []any{clause, body}
	for _, r := range rows {
		args = append(args, r)
	}
	return DescribeTable(text, args...)
}
