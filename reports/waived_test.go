package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// waivedConformance is the sample run with ROUTE-2's failure waived, an
// expired waiver for RATE-4 and a stale one for ROUTE-1.
func waivedConformance(t *testing.T) *results.Conformance {
	t.Helper()
	c := sampleConformance(false)
	results.ApplyWaivers(c, []results.Waiver{
		{Clause: "ROUTE-2", Reason: "gateway alias pending, ticket GW-7", Owner: "platform", Expires: "2026-04-01", Source: "w.yaml:2"},
		{Clause: "RATE-4", Reason: "old", Owner: "platform", Expires: "2026-03-01", Source: "w.yaml:6"},
		{Clause: "ROUTE-1", Reason: "fixed since", Owner: "platform", Expires: "2026-04-01", Source: "w.yaml:10"},
	}, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC))
	return c
}

func TestEveryRendererShowsWaived(t *testing.T) {
	c := waivedConformance(t)
	if c.ExitCode != results.ExitErrors { // SDK-1's ERROR is left
		t.Fatalf("exit %d after waiving the only FAIL, want 3 for the ERROR", c.ExitCode)
	}
	want := map[string][]string{
		"table":    {"│ ROUTE-2  │ MUST   │ WAIVED ", "WAIVED ROUTE-2 (MUST)", "waived (was FAIL) until 2026-04-01, owner platform: gateway alias pending, ticket GW-7 [w.yaml:2]", "EXPIRED RATE-4 (w.yaml:6): expired on 2026-03-01", "STALE ROUTE-1 (w.yaml:10): matches no failure: ROUTE-1 is PASS"},
		"markdown": {"| ROUTE-2 | MUST | 🔕 WAIVED |", "### 🔕 WAIVED ROUTE-2 (MUST)", "waived (was FAIL) until 2026-04-01", "- EXPIRED RATE-4", "- STALE ROUTE-1"},
		"json":     {`"verdict": "WAIVED"`, `"was": "FAIL"`, `"state": "expired"`, `"state": "stale"`, `"WAIVED": 1`, `"waived": true`},
		"html":     {"WAIVED", "Waiver: STALE ROUTE-1", "waived (was FAIL) until 2026-04-01, owner platform"},
		"junit":    {`<skipped message="WAIVED waived (was FAIL) until 2026-04-01, owner platform: gateway alias pending, ticket GW-7 [w.yaml:2]; POST https://gw`},
	}
	for name, write := range renderers {
		var b bytes.Buffer
		if err := write(&b, c); err != nil {
			t.Fatal(err)
		}
		for _, w := range want[name] {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s lacks %q:\n%s", name, w, b.String())
			}
		}
	}
	if errs := validate(loadSchema(t), loadSchema(t), reportJSON(t, c), "$"); len(errs) > 0 {
		t.Errorf("a waived report breaks the schema: %v", errs)
	}
	if doc := parseJUnit(t, c); doc.Failures != 0 || doc.Skipped != c.Counts[results.Skip]+1 {
		t.Errorf("JUnit: %d failures, %d skipped; want the waived clause skipped, not failed", doc.Failures, doc.Skipped)
	}
}
