package results

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/carpathian-ai/carpathian-conform/contract"
)

// MaxDetail caps a clause's one-line detail (in runes); the full details stay
// in its specs.
const MaxDetail = 160

// Aggregate turns spec results into one row per clause of contract.Clauses, in
// contract order, with the verdict counts and the run's exit code: 1 if any
// clause fails, else 3 if any errored, else 0. strict makes a broken SHOULD
// fail. A spec citing a clause the contract does not have is a bug in the
// suite: it gets an ERROR row of its own after the contract's clauses rather
// than being dropped.
func Aggregate(specs []SpecResult, strict bool) (clauses []ClauseResult, counts map[Verdict]int, exitCode int) {
	byClause := make(map[string][]SpecResult)
	var unknown []string
	for _, s := range specs {
		id := strings.ToUpper(s.Clause)
		if _, ok := contract.Lookup(id); !ok && len(byClause[id]) == 0 {
			unknown = append(unknown, id)
		}
		byClause[id] = append(byClause[id], s)
	}
	for _, c := range contract.Clauses {
		clauses = append(clauses, judge(c, byClause[c.ID], strict))
	}
	for _, id := range unknown {
		clauses = append(clauses, ClauseResult{
			ID: id, Level: contract.Must, Area: contract.Clause{ID: id}.Area(),
			Title: "not a clause of the contract", Verdict: Error,
			Detail: fmt.Sprintf("%d spec(s) cite unknown clause %q", len(byClause[id]), id),
			Specs:  byClause[id],
		})
	}
	counts = CountVerdicts(clauses)
	return clauses, counts, ExitCode(counts)
}

// CountVerdicts counts clauses by verdict; every verdict has a key.
func CountVerdicts(clauses []ClauseResult) map[Verdict]int {
	counts := make(map[Verdict]int, len(Verdicts))
	for _, v := range Verdicts {
		counts[v] = 0
	}
	for _, c := range clauses {
		counts[c.Verdict]++
	}
	return counts
}

// CountsLine is "38 PASS · 1 WARN · 2 INFO · 3 SKIP": the verdicts counted,
// in Verdicts order, zeros left out.
func CountsLine(counts map[Verdict]int) string {
	var parts []string
	for _, v := range Verdicts {
		if n := counts[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	if len(parts) == 0 {
		return "no clauses"
	}
	return strings.Join(parts, " · ")
}

// ExitCode is the run's exit code from its verdict counts.
func ExitCode(counts map[Verdict]int) int {
	switch overall(counts) {
	case Fail:
		return ExitViolation
	case Error:
		return ExitErrors
	}
	return ExitOK
}

// overall is a run's verdict in one word: FAIL if a clause failed, else
// ERROR if one errored, else PASS.
func overall(counts map[Verdict]int) Verdict {
	switch {
	case counts[Fail] > 0:
		return Fail
	case counts[Error] > 0:
		return Error
	}
	return Pass
}

// judge decides one clause from its specs.
func judge(c contract.Clause, specs []SpecResult, strict bool) ClauseResult {
	r := ClauseResult{ID: c.ID, Level: c.Level, Area: c.Area(), Title: c.Title, Requirement: c.Requirement(), Specs: specs}
	if r.Specs == nil {
		r.Specs = []SpecResult{}
	}
	by := make(map[Outcome][]SpecResult)
	for _, s := range specs {
		by[s.Outcome] = append(by[s.Outcome], s)
	}
	switch {
	case len(specs) == 0:
		r.Verdict, r.Detail = Skip, "not run"
	case len(by[OutcomeViolated]) > 0:
		r.Verdict, r.Detail = brokenVerdict(c.Level, strict), firstDetail(by[OutcomeViolated], "violated")
	case len(by[OutcomeErrored]) > 0:
		r.Verdict, r.Detail = Error, firstDetail(by[OutcomeErrored], "errored")
	case len(by[OutcomeSkipped]) == len(specs):
		r.Verdict, r.Detail = Skip, firstDetail(by[OutcomeSkipped], "skipped")
	case c.Level == contract.Info:
		r.Verdict, r.Detail = Info, observations(by[OutcomeObserved], by[OutcomePassed], len(by[OutcomeSkipped]))
	default:
		r.Verdict, r.Detail = Pass, passSummary(len(by[OutcomePassed])+len(by[OutcomeObserved]), len(by[OutcomeSkipped]))
	}
	r.Detail = OneLine(r.Detail, MaxDetail)
	return r
}

// brokenVerdict is what a violated spec makes of a clause at level.
func brokenVerdict(level contract.Level, strict bool) Verdict {
	switch level {
	case contract.Must:
		return Fail
	case contract.Should:
		if strict {
			return Fail
		}
		return Warn
	}
	return Info
}

// firstDetail is the first spec's detail, noting how many more specs share
// the outcome.
func firstDetail(specs []SpecResult, outcome string) string {
	d := specs[0].Detail
	if d == "" {
		d = specs[0].Name + ": " + outcome
	} else if specs[0].Scope != "" {
		d = specs[0].Scope + ": " + d // where in the clause's domain
	}
	if more := len(specs) - 1; more > 0 {
		d += fmt.Sprintf(" (+%d more %s)", more, outcome)
	}
	return d
}

// observations joins what an INFO clause's specs recorded.
func observations(observed, passed []SpecResult, skipped int) string {
	var parts []string
	for _, s := range append(observed, passed...) {
		if s.Detail != "" {
			parts = append(parts, s.Detail)
		}
	}
	if len(parts) == 0 {
		return passSummary(len(observed)+len(passed), skipped)
	}
	return strings.Join(parts, "; ")
}

func passSummary(passed, skipped int) string {
	s := Plural(passed, "spec") + " passed"
	if skipped > 0 {
		s += fmt.Sprintf(", %d skipped", skipped)
	}
	return s
}

// Plural is "1 spec" or "3 specs": the one pluraliser details and reports share.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// OneLine collapses s to a single line of at most limit runes, ending in "…"
// when cut.
func OneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:limit-1]), " ") + "…"
}
