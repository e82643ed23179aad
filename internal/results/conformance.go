// Package results is the conformance result model: what each spec found,
// the verdict on each clause, the run as a whole and the exit-code policy.
// Renderers (reports/) and the comparison, waiver and rerun logic build on it;
// it never imports a renderer.
package results

import (
	"time"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// SchemaConformance names the JSON report's schema; bump it on any breaking
// change. v2 added the WAIVED verdict and the waivers; v1 reports still
// read as v2 (they have neither).
const (
	SchemaConformance   = "carpathian-conform/conformance/v2"
	SchemaConformanceV1 = "carpathian-conform/conformance/v1"
)

// Outcome is what one spec found, before levels turn it into a verdict.
type Outcome string

const (
	OutcomePassed   Outcome = "passed"   // every check held
	OutcomeViolated Outcome = "violated" // a check of the target failed
	OutcomeObserved Outcome = "observed" // an INFO observation was recorded
	OutcomeSkipped  Outcome = "skipped"  // not run (a key not given, filtered out); Detail says why
	OutcomeErrored  Outcome = "errored"  // the tool or network failed, not the target
)

// Verdict is a clause's result as reports show it.
type Verdict string

const (
	Pass  Verdict = "PASS"
	Fail  Verdict = "FAIL"  // a MUST broken (or a SHOULD under --strict)
	Warn  Verdict = "WARN"  // a SHOULD broken
	Info  Verdict = "INFO"  // observed, never a failure
	Skip  Verdict = "SKIP"  // with the reason
	Error Verdict = "ERROR" // the tool or the network failed
	// Waived is a FAIL, WARN or ERROR a waiver accepts for a while: shown,
	// never counted against the run (see ApplyWaivers).
	Waived Verdict = "WAIVED"
)

// SpecResult is one spec's outcome, with the exchanges that prove a violation.
type SpecResult struct {
	Clause   string            `json:"clause"`
	Name     string            `json:"name"`
	Scope    string            `json:"scope,omitempty"` // the point of the clause's domain it probed: path, key, request
	Outcome  Outcome           `json:"outcome"`
	Detail   string            `json:"detail,omitempty"`
	Evidence []target.Evidence `json:"evidence,omitempty"`
	Duration time.Duration     `json:"duration_ns"`
	Waived   bool              `json:"waived,omitempty"` // a waiver accepts its violation or error
}

// ClauseResult is the verdict on one clause, from all its specs.
type ClauseResult struct {
	ID    string         `json:"id"`
	Level contract.Level `json:"level"`
	Area  string         `json:"area"`
	Title string         `json:"title"`
	// Requirement is the clause's text as CONTRACT.md states it.
	Requirement string        `json:"requirement,omitempty"`
	Verdict     Verdict       `json:"verdict"`
	Detail      string        `json:"detail"`
	Specs       []SpecResult  `json:"specs"`
	Waiver      *ClauseWaiver `json:"waiver,omitempty"` // set when Verdict is WAIVED
}

// Conformance is a whole conformance run: what the JSON, JUnit, Markdown and
// table reports all render.
type Conformance struct {
	Schema      string          `json:"schema"`
	ToolVersion string          `json:"tool_version"`
	Target      string          `json:"target"` // the root URL; never credentials
	Embedded    bool            `json:"embedded"`
	Model       string          `json:"model,omitempty"` // the model bound to the key
	RateLimit   string          `json:"rate_limit"`
	Strict      bool            `json:"strict"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	Interrupted bool            `json:"interrupted,omitempty"`
	Clauses     []ClauseResult  `json:"clauses"`
	Counts      map[Verdict]int `json:"counts"`    // from Clauses; reports recount, so they always agree
	Calls       int             `json:"calls"`     // HTTP calls made
	MaxCalls    int             `json:"max_calls"` // the stated upper bound
	Waited429   int             `json:"waited_429"`
	Tokens      int             `json:"tokens"`            // total_tokens spent, from usage
	Waivers     []WaiverOutcome `json:"waivers,omitempty"` // what each waiver given did
	ExitCode    int             `json:"exit_code"`
}

// Verdicts lists every verdict in the order reports count them.
var Verdicts = []Verdict{Pass, Fail, Warn, Info, Skip, Error, Waived}

// NeedsEvidence reports whether reports show the exchanges behind the
// verdict: a broken clause, required or recommended, waived or not.
func (v Verdict) NeedsEvidence() bool { return v == Fail || v == Warn || v == Waived }

// Broken tells whether the verdict is one a waiver may accept.
func (v Verdict) Broken() bool { return v == Fail || v == Warn || v == Error }

// Failing tells whether the verdict counts against the run (exit code 1 or 3).
func (v Verdict) Failing() bool { return v == Fail || v == Error }

// Duration is how long the run took.
func (c *Conformance) Duration() time.Duration {
	if c.Finished.Before(c.Started) {
		return 0
	}
	return c.Finished.Sub(c.Started)
}

// Overall is the run's verdict in one word: FAIL if a clause failed, else
// ERROR if one errored, else PASS; it agrees with the exit code.
func (c *Conformance) Overall() Verdict { return overall(CountVerdicts(c.Clauses)) }

// Clause is the row for clause id, if the run has one.
func (c *Conformance) Clause(id string) (ClauseResult, bool) {
	for _, cr := range c.Clauses {
		if cr.ID == id {
			return cr, true
		}
	}
	return ClauseResult{}, false
}
