package compare

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/load"
)

func run(t *testing.T, name string, specs ...results.SpecResult) *Report {
	t.Helper()
	clauses, counts, exit := results.Aggregate(specs, false)
	c := &results.Conformance{Schema: results.SchemaConformance, Clauses: clauses, Counts: counts, ExitCode: exit}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sp(clause, name string, o results.Outcome) results.SpecResult {
	return results.SpecResult{Clause: clause, Name: name, Outcome: o, Detail: name + " " + string(o)}
}

func names(cs []Change) []string {
	var out []string
	for _, c := range cs {
		n := c.Clause
		if c.Spec != "" {
			n += "/" + c.Spec
		}
		out = append(out, n+":"+c.Old+">"+c.New)
	}
	return out
}

func TestConformanceDiff(t *testing.T) {
	old := run(t, "old.json",
		sp("ROUTE-1", "r1", results.OutcomePassed),
		sp("ROUTE-2", "r2a", results.OutcomePassed),
		sp("AUTH-1", "a1", results.OutcomeViolated), // fixed tonight
		sp("CHAT-1", "c1", results.OutcomePassed),   // vanishes (skipped tonight)
		sp("SDK-1", "s1", results.OutcomeErrored),   // still errors: no change
	)
	new := run(t, "new.json",
		sp("ROUTE-1", "r1", results.OutcomePassed),
		sp("ROUTE-2", "r2a", results.OutcomeViolated), // regression
		sp("AUTH-1", "a1", results.OutcomePassed),
		sp("CHAT-1", "c1", results.OutcomeSkipped),
		sp("SDK-1", "s1", results.OutcomeErrored),
		sp("MODELS-1", "m1", results.OutcomePassed), // appeared
	)
	res, err := Compare(old, new, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Conformance
	want := map[string][]string{
		"regressions": {"ROUTE-2:PASS>FAIL", "ROUTE-2/r2a:passed>violated"},
		"fixed":       {"AUTH-1:FAIL>PASS", "AUTH-1/a1:violated>passed"},
		"appeared":    {"MODELS-1:SKIP>PASS", "MODELS-1/m1:>passed"},
		"vanished":    {"CHAT-1:PASS>SKIP", "CHAT-1/c1:passed>skipped"},
	}
	got := map[string][]string{"regressions": names(d.Regressions), "fixed": names(d.Fixed), "appeared": names(d.Appeared), "vanished": names(d.Vanished)}
	for k, w := range want {
		if strings.Join(got[k], " ") != strings.Join(w, " ") {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if res.ExitCode() != results.ExitViolation {
		t.Errorf("exit %d on a regression", res.ExitCode())
	}
	if back, _ := Compare(new, new, nil); back.ExitCode() != 0 || len(back.Conformance.Regressions)+len(back.Conformance.Fixed) != 0 {
		t.Errorf("a run against itself: %+v", back.Conformance)
	}
}

func TestWaivedIsNoRegression(t *testing.T) {
	old := run(t, "old.json", sp("ROUTE-2", "r2a", results.OutcomePassed))
	new := run(t, "new.json", sp("ROUTE-2", "r2a", results.OutcomeViolated))
	results.ApplyWaivers(new.Conformance, []results.Waiver{{Clause: "ROUTE-2", Reason: "r", Owner: "o", Expires: "2999-01-01"}}, time.Now())
	res, _ := Compare(old, new, nil)
	if res.ExitCode() != 0 || len(res.Conformance.Regressions) != 0 {
		t.Errorf("a waived failure counted as a regression: %v", names(res.Conformance.Regressions))
	}
	if got := names(res.Conformance.Waived); strings.Join(got, " ") != "ROUTE-2:PASS>WAIVED ROUTE-2/r2a:passed>waived" {
		t.Errorf("a newly waived failure is not shown: %v", got)
	}
	failed := run(t, "failed.json", sp("ROUTE-2", "r2a", results.OutcomeViolated))
	res, _ = Compare(failed, new, nil)
	if got := names(res.Conformance.Waived); strings.Join(got, " ") != "ROUTE-2:FAIL>WAIVED ROUTE-2/r2a:violated>waived" {
		t.Errorf("waived = %v", got)
	}
}

func loadReport(t *testing.T, name string, p99 time.Duration, success float64, tokens float64) *Report {
	t.Helper()
	doc := map[string]any{
		"schema": load.ReportSchema, "requests": 100, "rate": 5.0, "success": success,
		"latencies_by_outcome": map[string]any{"success": map[string]any{"count": 99, "50th": 100e6, "95th": 200e6, "99th": int64(p99), "99.9th": int64(p99) + 1e6}},
		"tokens":               map[string]any{"output_per_second": tokens, "with_usage": 99},
	}
	data, _ := json.Marshal(doc)
	r, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadDiffAndLimits(t *testing.T) {
	old := loadReport(t, "old.json", time.Second, 0.995, 100)
	new := loadReport(t, "new.json", 1150*time.Millisecond, 0.992, 95)
	limits, err := ParseLimits("p99=+10%, success=-0.5pp,tokens_per_s=-4%,p95=+1ms")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compare(old, new, limits)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Metric{}
	for _, m := range res.Load.Metrics {
		by[m.Name] = m
	}
	if m := by["p99"]; !m.Breached || m.Delta() != float64(150*time.Millisecond) || math.Abs(m.Relative()-0.15) > 1e-9 {
		t.Errorf("p99 +15%% against +10%%: %+v", m)
	}
	if m := by["success"]; m.Breached || m.Limit != "success=-0.5pp" {
		t.Errorf("success -0.3pp against -0.5pp: %+v", m)
	}
	if m := by["tokens_per_s"]; !m.Breached {
		t.Errorf("tokens/s -5%% against -4%%: %+v", m)
	}
	if m := by["p95"]; m.Breached {
		t.Errorf("p95 unchanged: %+v", m)
	}
	if m := by["p99.9"]; !m.HasOld || m.New != float64(1151*time.Millisecond) {
		t.Errorf("p99.9 not read: %+v", m)
	}
	if res.ExitCode() != results.ExitThreshold || len(res.Load.Breaches()) != 2 {
		t.Errorf("exit %d, breaches %v", res.ExitCode(), res.Load.Breaches())
	}
	none, _ := Compare(old, new, nil)
	if none.ExitCode() != 0 {
		t.Error("without limits a load comparison never fails")
	}
}

func TestParseLimitsErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"p99=10%":         "give the sign of a worse p99: p99=+10%",
		"p99=-10%":        "p99 gets worse up: write p99=+10%",
		"success=+1pp":    "success gets worse down: write success=-1pp",
		"p42=+1%":         `unknown metric "p42": compare has p50, p95, p99, p99.9, success, rate, tokens_per_s`,
		"p99":             "write METRIC=±CHANGE",
		"p99=+fast":       `"fast" is not an amount`,
		"p99=+2pp":        "pp (percentage points) is for success",
		"rate=-2":         "give rate a % or a rate like -0.5/s",
		"p99=+1%,p99=+2%": "p99 is limited twice",
	} {
		_, err := ParseLimits(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", expr, err, want)
		}
	}
	if l, err := ParseLimits("p99.9=+250ms,rate=-0.5/s"); err != nil || l["p99.9"].Amount != float64(250*time.Millisecond) || l["rate"].Kind != "/s" {
		t.Errorf("%v %v", l, err)
	}
}

func TestParseRefusesWhatItCannotCompare(t *testing.T) {
	for data, want := range map[string]string{
		`{"schema":"carpathian-conform/conformance/v9"}`: "x.json: schema carpathian-conform/conformance/v9: this version reads conformance reports of v1 and v2",
		`{"schema":"carpathian-conform/ratelimit/v1"}`:   "x.json: a ratelimit report: compare reads conformance (check --json) and load (load --json) reports",
		`{"latencies":{}}`: `x.json: not a carpathian-conform JSON report (no "schema")`,
		`<testsuites>`:     "x.json: not a JSON report",
	} {
		_, err := Parse("x.json", []byte(data))
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want %q", data, err, want)
		}
	}
	conf := run(t, "a.json")
	ld := loadReport(t, "b.json", time.Second, 1, 1)
	if _, err := Compare(conf, ld, nil); err == nil || err.Error() != "cannot compare a conformance report (a.json) with a load report (b.json): give two of a kind" {
		t.Errorf("mixed kinds: %v", err)
	}
	lim, _ := ParseLimits("p99=+1%")
	if _, err := Compare(conf, conf, lim); err == nil {
		t.Error("limits on a conformance comparison accepted")
	}
	v1 := `{"schema":"` + results.SchemaConformanceV1 + `","clauses":[{"id":"ROUTE-1","verdict":"PASS","specs":[]}]}`
	if r, err := Parse("v1.json", []byte(v1)); err != nil || r.Kind != KindConformance {
		t.Errorf("a v1 report: %v", err)
	}
}
