package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/load"
)

// writeReport writes a conformance JSON report of specs to dir/name.
func writeReport(t *testing.T, dir, name string, specs ...results.SpecResult) string {
	t.Helper()
	clauses, counts, exit := results.Aggregate(specs, false)
	data, _ := json.Marshal(&results.Conformance{Schema: results.SchemaConformance, Clauses: clauses, Counts: counts, ExitCode: exit})
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareExitCodesAndStepSummary(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	os.WriteFile(summary, []byte("## an earlier step\n"), 0o644)
	t.Setenv(stepSummaryEnv, summary)
	pass := results.SpecResult{Clause: "AUTH-2", Name: "unknown key gets 401", Outcome: results.OutcomePassed}
	fail := pass
	fail.Outcome, fail.Detail = results.OutcomeViolated, "status 403, want 401"
	old, new := writeReport(t, dir, "old.json", pass), writeReport(t, dir, "new.json", fail)

	code, stdout, stderr := runCommand("compare", old, new, "--json", filepath.Join(dir, "cmp.json"))
	if code != ExitViolation || !strings.Contains(stdout, "REGRESSED: newly failing: AUTH-2 FAIL") {
		t.Errorf("a regression: exit %d\n%s%s", code, stdout, stderr)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "cmp.json")); err != nil || !json.Valid(data) || !strings.Contains(string(data), `"exit_code": 1`) {
		t.Errorf("--json: %v %s", err, data)
	}
	got, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(got), "## an earlier step\n## ❌ carpathian-conform compare: REGRESSED") {
		t.Errorf("step summary: %q", got)
	}
	if code, stdout, stderr := runCommand("compare", old, new, "--json", "-", "--no-step-summary"); code != ExitViolation || !json.Valid([]byte(stdout)) || !strings.Contains(stderr, "REGRESSED") {
		t.Errorf("--json -: exit %d, stdout must be the JSON alone (the table on stderr):\n%s", code, stdout)
	}
	if code, _, _ := runCommand("compare", old, old, "--no-step-summary"); code != ExitOK {
		t.Errorf("no change: exit %d", code)
	}
	if after, _ := os.ReadFile(summary); len(after) != len(got) {
		t.Error("--no-step-summary still appended")
	}

	loadDoc, _ := json.Marshal(map[string]any{"schema": load.ReportSchema, "requests": 10, "success": 1.0, "rate": 1.0,
		"latencies_by_outcome": map[string]any{"success": map[string]any{"count": 10, "99th": int64(time.Second)}}})
	loadPath := filepath.Join(dir, "load.json")
	os.WriteFile(loadPath, loadDoc, 0o644)
	for name, args := range map[string][]string{
		"kinds differ":     {old, loadPath},
		"one operand":      {old},
		"missing file":     {old, filepath.Join(dir, "nope.json")},
		"bad limit":        {loadPath, loadPath, "--max-regression", "p99=10%"},
		"limit on conform": {old, new, "--max-regression", "p99=+10%"},
	} {
		code, _, stderr := runCommand("compare", args...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q: want one line, exit 2", name, code, stderr)
		}
	}
	if code, _, stderr := runCommand("compare", loadPath, loadPath, "--max-regression", "p99=+10%", "--no-step-summary"); code != ExitOK {
		t.Errorf("load against itself: exit %d %s", code, stderr)
	}
}

func TestCheckRefusesABadWaiverFileBeforeAnyRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.yaml")
	os.WriteFile(path, []byte("waivers:\n  - clause: AUTH-2\n    reason: r\n    owner: o\n    expires: soon\n"), 0o644)
	code, _, stderr := runCommand("check", "--waivers", path)
	if code != ExitUsage || !strings.Contains(stderr, path+":5: waiver 1 (AUTH-2): expires \"soon\" is not a date") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	report := writeReport(t, t.TempDir(), "r.json", results.SpecResult{Clause: "AUTH-2", Name: "x", Outcome: results.OutcomePassed})
	if code, stdout, _ := runCommand("check", "--rerun-failed", report); code != ExitOK || !strings.Contains(stdout, "Nothing to rerun") {
		t.Errorf("rerun of a green report: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCommand("check", "--rerun-failed", report, "--focus", "x"); code != ExitUsage {
		t.Errorf("--rerun-failed with --focus: exit %d, %q", code, stderr)
	}
}
