package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/compare"
)

func conformanceComparison() *compare.Result {
	return &compare.Result{Kind: compare.KindConformance, Conformance: &compare.ConformanceDiff{
		Old: compare.Run{Name: "last-night.json", Target: "https://gw.example/ai", Started: time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC), Summary: "PASS: 30 PASS"},
		New: compare.Run{Name: "tonight.json", Target: "https://user:pw@gw.example/ai", Summary: "FAIL: 29 PASS · 1 FAIL"},
		Regressions: []compare.Change{
			{Clause: "AUTH-2", Old: "PASS", New: "FAIL", Detail: "an unknown key got 403, want 401"},
			{Clause: "AUTH-2", Spec: "an unknown key gets 401 | everywhere", Old: "passed", New: "violated", Detail: "403"},
		},
		Fixed: []compare.Change{{Clause: "CHAT-4", Old: "WARN", New: "PASS"}},
	}}
}

func loadComparison() *compare.Result {
	return &compare.Result{Kind: compare.KindLoad, Load: &compare.LoadDiff{
		Old: compare.Run{Name: "old.json", Summary: "100 calls, 5/s for 20s"},
		New: compare.Run{Name: "new.json", Summary: "100 calls, 5/s for 20s"},
		Metrics: []compare.Metric{
			{Name: "p99", Unit: compare.UnitDuration, Old: float64(time.Second), New: float64(1150 * time.Millisecond), HasOld: true, HasNew: true, Limit: "p99=+10%", Breached: true},
			{Name: "success", Unit: compare.UnitRatio, Old: 0.995, New: 0.992, HasOld: true, HasNew: true, Limit: "success=-0.5pp"},
			{Name: "tokens_per_s", Unit: compare.UnitRate, HasOld: false, New: 12, HasNew: true},
		},
	}}
}

func TestCompareRenderers(t *testing.T) {
	for name, c := range map[string]struct {
		r    *compare.Result
		want map[string][]string
	}{
		"conformance": {conformanceComparison(), map[string][]string{
			"text": {"OLD last-night.json · https://gw.example/ai · 2026-03-03 02:00 UTC · PASS: 30 PASS", "│ REGRESSION │ AUTH-2", "PASS → FAIL", "│ FIXED", "REGRESSED: newly failing: AUTH-2 FAIL"},
			"md":   {"## ❌ carpathian-conform compare: REGRESSED", "| REGRESSION | AUTH-2 | an unknown key gets 401 \\| everywhere | passed → violated | 403 |"},
			"json": {`"schema": "carpathian-conform/compare/v1"`, `"exit_code": 1`, `"regressions": [`, `"waived": []`},
		}},
		"load": {loadComparison(), map[string][]string{
			"text": {"│ p99 ", "+150ms (+15.0%)", "│ EXCEEDED", "-0.30pp", "REGRESSED: exceeds --max-regression p99=+10%"},
			"md":   {"| p99 | 1s | 1.15s | +150ms (+15.0%) | p99=+10% | EXCEEDED |", "| tokens\\_per\\_s | - | 12.00/s | - | - | - |"},
			"json": {`"exit_code": 4`, `"metrics": [`, `"breached": true`},
		}},
	} {
		for kind, write := range map[string]func(*bytes.Buffer, *compare.Result) error{
			"text": func(b *bytes.Buffer, r *compare.Result) error { return WriteCompare(b, r) },
			"md":   func(b *bytes.Buffer, r *compare.Result) error { return WriteCompareMarkdown(b, r) },
			"json": func(b *bytes.Buffer, r *compare.Result) error { return WriteCompareJSON(b, r) },
		} {
			var b bytes.Buffer
			if err := write(&b, c.r); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want[kind] {
				if !strings.Contains(b.String(), w) {
					t.Errorf("%s %s lacks %q:\n%s", name, kind, w, b.String())
				}
			}
			if strings.Contains(b.String(), "user:pw") {
				t.Errorf("%s %s shows the target's credentials", name, kind)
			}
			if kind == "json" && !json.Valid(b.Bytes()) {
				t.Errorf("%s json does not parse", name)
			}
		}
	}
}
