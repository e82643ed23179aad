package results

import (
	"strings"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/contract"
)

// clauseOf finds a clause's row.
func clauseOf(t *testing.T, clauses []ClauseResult, id string) ClauseResult {
	t.Helper()
	for _, c := range clauses {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no row for %s", id)
	return ClauseResult{}
}

func spec(clause string, o Outcome, detail string) SpecResult {
	return SpecResult{Clause: clause, Name: clause + " spec", Outcome: o, Detail: detail}
}

func TestAggregateVerdictsByLevel(t *testing.T) {
	specs := []SpecResult{
		spec("ROUTE-1", OutcomePassed, ""), // MUST passed
		spec("ROUTE-2", OutcomePassed, ""), // MUST violated by its second spec
		spec("ROUTE-2", OutcomeViolated, "alias /ai/chat answered 404"),
		spec("CHAT-4", OutcomeViolated, "finish_reason missing"),  // SHOULD violated
		spec("CHAT-6", OutcomePassed, ""),                         // SHOULD passed
		spec("CHAT-7", OutcomeObserved, "content parsed as JSON"), // INFO observed
		spec("RATE-5", OutcomeViolated, "no rate-limit headers"),  // INFO "violated" is still INFO
		spec("AUTH-3", OutcomeSkipped, "--revoked-key not given"),
	}
	for _, strict := range []bool{false, true} {
		clauses, counts, exit := Aggregate(specs, strict)
		shouldBroken := Warn
		if strict {
			shouldBroken = Fail
		}
		want := map[string]struct {
			v      Verdict
			detail string
		}{
			"ROUTE-1": {Pass, "1 spec passed"},
			"ROUTE-2": {Fail, "alias /ai/chat answered 404"},
			"CHAT-4":  {shouldBroken, "finish_reason missing"},
			"CHAT-6":  {Pass, "1 spec passed"},
			"CHAT-7":  {Info, "content parsed as JSON"},
			"RATE-5":  {Info, "no rate-limit headers"},
			"AUTH-3":  {Skip, "--revoked-key not given"},
			"ROUTE-5": {Skip, "not run"},
		}
		for id, w := range want {
			got := clauseOf(t, clauses, id)
			if got.Verdict != w.v || got.Detail != w.detail {
				t.Errorf("strict=%v %s: got %s %q, want %s %q", strict, id, got.Verdict, got.Detail, w.v, w.detail)
			}
		}
		if exit != 1 {
			t.Errorf("strict=%v: exit %d, want 1 (a MUST failed)", strict, exit)
		}
		wantFails := 1
		if strict {
			wantFails = 2
		}
		if counts[Fail] != wantFails || counts[Warn] != 2-wantFails {
			t.Errorf("strict=%v: counts %v", strict, counts)
		}
	}
}

func TestAggregateOneRowPerClauseInContractOrder(t *testing.T) {
	clauses, counts, exit := Aggregate(nil, false)
	if len(clauses) != len(contract.Clauses) {
		t.Fatalf("%d rows, want %d", len(clauses), len(contract.Clauses))
	}
	for i, c := range contract.Clauses {
		r := clauses[i]
		if r.ID != c.ID || r.Level != c.Level || r.Title != c.Title || r.Area != c.Area() {
			t.Errorf("row %d is %+v, want clause %+v", i, r, c)
		}
		if r.Verdict != Skip || r.Detail != "not run" || r.Specs == nil {
			t.Errorf("%s with no spec: %s %q specs=%v", c.ID, r.Verdict, r.Detail, r.Specs)
		}
	}
	if exit != 0 || counts[Skip] != len(contract.Clauses) {
		t.Errorf("exit %d counts %v", exit, counts)
	}
	for _, v := range Verdicts {
		if _, ok := counts[v]; !ok {
			t.Errorf("counts lack %s", v)
		}
	}
}

func TestAggregateErrorsOnlyExit3(t *testing.T) {
	specs := []SpecResult{
		spec("ROUTE-1", OutcomePassed, ""),
		spec("SDK-1", OutcomeErrored, "dial tcp: i/o timeout"),
		spec("SDK-1", OutcomeErrored, "dial tcp: connection refused"),
		spec("SDK-1", OutcomePassed, ""),
		spec("CHAT-4", OutcomeViolated, "finish_reason missing"), // a WARN does not fail
	}
	clauses, counts, exit := Aggregate(specs, false)
	if exit != 3 {
		t.Errorf("exit %d, want 3", exit)
	}
	sdk := clauseOf(t, clauses, "SDK-1")
	if sdk.Verdict != Error || sdk.Detail != "dial tcp: i/o timeout (+1 more errored)" {
		t.Errorf("SDK-1: %s %q", sdk.Verdict, sdk.Detail)
	}
	if counts[Error] != 1 || counts[Warn] != 1 {
		t.Errorf("counts %v", counts)
	}
	// A violation outranks an error on the same clause, and FAIL outranks ERROR.
	_, _, exit = Aggregate(append(specs, spec("SDK-1", OutcomeViolated, "no usage")), false)
	if exit != 1 {
		t.Errorf("exit %d with a MUST violated and errors, want 1", exit)
	}
}

func TestAggregateSkipsAndSummaries(t *testing.T) {
	specs := []SpecResult{
		spec("BILL-1", OutcomeSkipped, "--exhausted-key not given"),
		spec("BILL-1", OutcomeSkipped, "--exhausted-key not given"),
		spec("MODEL-1", OutcomePassed, ""),
		spec("MODEL-1", OutcomePassed, ""),
		spec("MODEL-1", OutcomeSkipped, "filtered out"),
		{Clause: "model-2", Name: "lower-case clause id", Outcome: OutcomePassed},
	}
	clauses, _, exit := Aggregate(specs, true)
	if exit != 0 {
		t.Errorf("exit %d, want 0", exit)
	}
	if r := clauseOf(t, clauses, "BILL-1"); r.Verdict != Skip || r.Detail != "--exhausted-key not given (+1 more skipped)" {
		t.Errorf("BILL-1: %s %q", r.Verdict, r.Detail)
	}
	if r := clauseOf(t, clauses, "MODEL-1"); r.Verdict != Pass || r.Detail != "2 specs passed, 1 skipped" || len(r.Specs) != 3 {
		t.Errorf("MODEL-1: %s %q (%d specs)", r.Verdict, r.Detail, len(r.Specs))
	}
	if r := clauseOf(t, clauses, "MODEL-2"); r.Verdict != Pass {
		t.Errorf("MODEL-2 (cited in lower case): %s %q", r.Verdict, r.Detail)
	}
}

func TestAggregateUnknownClauseIsAnError(t *testing.T) {
	clauses, _, exit := Aggregate([]SpecResult{spec("ROUTE-99", OutcomePassed, "")}, false)
	if exit != 3 || len(clauses) != len(contract.Clauses)+1 {
		t.Fatalf("exit %d, %d rows", exit, len(clauses))
	}
	if last := clauses[len(clauses)-1]; last.ID != "ROUTE-99" || last.Verdict != Error {
		t.Errorf("last row %+v", last)
	}
}

func TestAggregateDetailIsOneShortLine(t *testing.T) {
	long := "line one\nline two\t" + strings.Repeat("word ", 100)
	clauses, _, _ := Aggregate([]SpecResult{spec("CHAT-1", OutcomeViolated, long)}, false)
	d := clauseOf(t, clauses, "CHAT-1").Detail
	if strings.ContainsAny(d, "\n\t") || len([]rune(d)) > MaxDetail || !strings.HasPrefix(d, "line one line two word") || !strings.HasSuffix(d, "…") {
		t.Errorf("detail %q (%d runes)", d, len([]rune(d)))
	}
	if got := clauseOf(t, clauses, "CHAT-1").Specs[0].Detail; got != long {
		t.Error("the spec's own detail must stay whole")
	}
}
