package results

import (
	"strings"
	"testing"
	"time"
)

var march4 = time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC)

func failingRun() *Conformance {
	specs := []SpecResult{
		spec("ROUTE-1", OutcomePassed, ""),
		{Clause: "ROUTE-2", Name: "POST {root}/chat answers", Outcome: OutcomeViolated, Detail: "404"},
		{Clause: "ROUTE-2", Name: "POST {root}/v1/chat answers", Outcome: OutcomeViolated, Detail: "404"},
		spec("CHAT-4", OutcomeViolated, "no finish_reason"), // SHOULD: WARN
		spec("SDK-1", OutcomeErrored, "timeout"),
	}
	clauses, counts, exit := Aggregate(specs, false)
	return &Conformance{Clauses: clauses, Counts: counts, ExitCode: exit}
}

func TestWaiversWaiveAndRecount(t *testing.T) {
	c := failingRun()
	if c.ExitCode != ExitViolation {
		t.Fatalf("exit %d before waivers", c.ExitCode)
	}
	ApplyWaivers(c, []Waiver{
		{Clause: "ROUTE-2", Reason: "r", Owner: "o", Expires: "2026-03-04"}, // its last day: holds
		{Clause: "SDK-1", Reason: "r", Owner: "o", Expires: "2026-03-03"},   // expired yesterday
		{Clause: "ROUTE-1", Reason: "r", Owner: "o", Expires: "2027-01-01"}, // passes: stale
		{Spec: "no such spec", Reason: "r", Owner: "o", Expires: "2027-01-01"},
	}, march4)
	r2, _ := c.Clause("ROUTE-2")
	if r2.Verdict != Waived || r2.Waiver == nil || r2.Waiver.Was != Fail || !r2.Specs[0].Waived || !r2.Specs[1].Waived {
		t.Errorf("ROUTE-2: %+v", r2)
	}
	if sdk, _ := c.Clause("SDK-1"); sdk.Verdict != Error {
		t.Errorf("an expired waiver waived SDK-1: %s", sdk.Verdict)
	}
	if c.ExitCode != ExitErrors || c.Counts[Waived] != 1 || c.Counts[Fail] != 0 {
		t.Errorf("exit %d counts %v: want 3 (SDK-1's ERROR) and one WAIVED", c.ExitCode, c.Counts)
	}
	states := []WaiverState{WaiverApplied, WaiverExpired, WaiverStale, WaiverStale}
	notes := []string{"waives FAIL ROUTE-2", "expired on 2026-03-03: waives nothing, so ERROR SDK-1 counts", "ROUTE-1 is PASS; remove", `spec "no such spec" was not run`}
	for i, w := range c.Waivers {
		if w.State != states[i] || !strings.Contains(w.Note, notes[i]) {
			t.Errorf("waiver %d: %s %q, want %s %q", i, w.State, w.Note, states[i], notes[i])
		}
	}
}

func TestSpecWaiverTakesTheClauseOnlyWhenItCoversEveryBreak(t *testing.T) {
	c := failingRun()
	one := Waiver{Spec: "POST {root}/chat answers", Reason: "r", Owner: "o", Expires: "2027-01-01"}
	ApplyWaivers(c, []Waiver{one}, march4)
	if r2, _ := c.Clause("ROUTE-2"); r2.Verdict != Fail || !r2.Specs[0].Waived || r2.Specs[1].Waived {
		t.Errorf("one of two broken specs waived: %s, specs waived %v %v", r2.Verdict, r2.Specs[0].Waived, r2.Specs[1].Waived)
	}
	if c.ExitCode != ExitViolation || c.Waivers[0].State != WaiverApplied {
		t.Errorf("exit %d, waiver %s", c.ExitCode, c.Waivers[0].State)
	}
	c = failingRun()
	both := one
	both.Spec, both.Clause = "POST {root}/v1/chat answers", "ROUTE-2"
	ApplyWaivers(c, []Waiver{one, both}, march4)
	if r2, _ := c.Clause("ROUTE-2"); r2.Verdict != Waived || r2.Waiver.Spec != one.Spec {
		t.Errorf("both broken specs waived: %+v", r2)
	}
	if c2, _ := c.Clause("CHAT-4"); c2.Verdict != Warn {
		t.Errorf("CHAT-4 %s", c2.Verdict)
	}
}

func TestParseWaivers(t *testing.T) {
	ws, err := ParseWaivers("w.yaml", []byte(`# accepted failures
waivers:
  - clause: rate-4
    reason: gateway drops Retry-After
    owner: platform
    expires: 2026-12-31
  - spec: "POST {root}/chat answers"
    reason: "alias: pending"
    owner: api
    expires: "2027-01-15"
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Clause != "RATE-4" || ws[0].Source != "w.yaml:3" || ws[1].Spec != "POST {root}/chat answers" || ws[1].Expires != "2027-01-15" || ws[1].Source != "w.yaml:7" {
		t.Errorf("%+v", ws)
	}
}

func TestParseWaiversErrorsNameTheLine(t *testing.T) {
	entry := "waivers:\n  - clause: RATE-4\n    reason: r\n    owner: o\n    expires: 2026-12-31\n"
	for name, c := range map[string]struct{ yaml, want string }{
		"unknown key":   {entry + "    expire: 2026-12-31\n", "w.yaml:6: waiver 1: unknown key \"expire\": use clause, spec, reason, owner, expires"},
		"no reason":     {strings.Replace(entry, "    reason: r\n", "", 1), "w.yaml:2: waiver 1 (RATE-4): no reason"},
		"no owner":      {strings.Replace(entry, "    owner: o\n", "", 1), "w.yaml:2: waiver 1 (RATE-4): no owner"},
		"no expiry":     {strings.Replace(entry, "    expires: 2026-12-31\n", "", 1), "w.yaml:2: waiver 1 (RATE-4): no expires date"},
		"bad date":      {strings.Replace(entry, "2026-12-31", "31/12/2026", 1), "w.yaml:5: waiver 1 (RATE-4): expires \"31/12/2026\" is not a date like 2026-12-31"},
		"no clause":     {strings.Replace(entry, "clause: RATE-4", "owner2: x", 1), "w.yaml:2: waiver 1: unknown key \"owner2\""},
		"unknown":       {strings.Replace(entry, "RATE-4", "RATE-99", 1), "w.yaml:2: waiver 1: RATE-99 is not a clause of the contract"},
		"twice":         {entry + "    owner: p\n", "w.yaml:6: waiver 1: owner given twice"},
		"not yaml":      {"waivers:\n  - clause: [RATE-4\n", "w.yaml:"},
		"top key":       {"waiver:\n  - clause: RATE-4\n", "w.yaml:1: unknown key \"waiver\": the file holds only 'waivers:'"},
		"not a list":    {"waivers: RATE-4\n", "w.yaml:1: 'waivers:' must be a list"},
		"empty":         {"", "w.yaml:1: no waivers"},
		"list is empty": {"waivers: []\n", "w.yaml:1: the waiver list is empty"},
		"nested value":  {strings.Replace(entry, "owner: o", "owner: [a, b]", 1), "w.yaml:4: waiver 1: owner must be a single value"},
	} {
		_, err := ParseWaivers("w.yaml", []byte(c.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line starting %q", name, err, c.want)
		}
	}
	if _, err := LoadWaivers("/nonexistent/w.yaml"); err == nil || err.Error() != "--waivers /nonexistent/w.yaml: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

func TestFailedSpecs(t *testing.T) {
	c := failingRun()
	got := FailedSpecs(c)
	want := []SpecRef{{"ROUTE-2", "POST {root}/chat answers"}, {"ROUTE-2", "POST {root}/v1/chat answers"}, {"SDK-1", "SDK-1 spec"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v (CHAT-4 only warns)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
	ApplyWaivers(c, []Waiver{{Clause: "SDK-1", Reason: "r", Owner: "o", Expires: "2999-01-01"}}, march4)
	if got := FailedSpecs(c); len(got) != 2 {
		t.Errorf("a waived ERROR is rerun: %v", got)
	}
}
