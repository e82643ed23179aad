package contract

import (
	"os"
	"regexp"
	"testing"
)

// The catalogue must match CONTRACT.md row for row: an ID or level typed wrong
// here would make every report cite the wrong rule.
func TestClausesMatchContractFile(t *testing.T) {
	raw, err := os.ReadFile("../../shared/contract/CONTRACT.md")
	if err != nil {
		t.Skipf("CONTRACT.md not beside the checkout: %v", err)
	}
	rows := regexp.MustCompile(`(?m)^\| ([A-Z]+-\d+) \| (MUST|SHOULD|INFO) \|`).FindAllStringSubmatch(string(raw), -1)
	if len(rows) != len(Clauses) {
		t.Fatalf("CONTRACT.md has %d clauses, catalogue has %d", len(rows), len(Clauses))
	}
	for i, r := range rows {
		if Clauses[i].ID != r[1] || string(Clauses[i].Level) != r[2] {
			t.Errorf("row %d: file says %s %s, catalogue says %s %s", i, r[1], r[2], Clauses[i].ID, Clauses[i].Level)
		}
	}
}

func TestLookup(t *testing.T) {
	if c, ok := Lookup("route-2"); !ok || c.Area() != "route" || c.Level != Must {
		t.Fatalf("Lookup(route-2) = %+v, %v", c, ok)
	}
	if _, ok := Lookup("NOPE-1"); ok {
		t.Fatal("unknown clause found")
	}
}
