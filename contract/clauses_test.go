package contract

import (
	"os"
	"testing"
)

// The catalogue must match the shipped CONTRACT.md row for row: an ID or level
// typed wrong here would make every report cite the wrong rule.
func TestClausesMatchContractFile(t *testing.T) {
	rows := DocumentRows(Document)
	if len(rows) != len(Clauses) {
		t.Fatalf("CONTRACT.md has %d clauses, catalogue has %d", len(rows), len(Clauses))
	}
	for i, r := range rows {
		if Clauses[i].ID != r.ID || string(Clauses[i].Level) != r.Level {
			t.Errorf("row %d: file says %s %s, catalogue says %s %s", i, r.ID, r.Level, Clauses[i].ID, Clauses[i].Level)
		}
		if Clauses[i].Requirement() == "" {
			t.Errorf("%s has no requirement text", Clauses[i].ID)
		}
	}
}

// The product owner's copy, where a checkout has it beside it, is the one the
// shipped copy is taken from: their clauses must agree.
func TestShippedContractMatchesOwnersCopy(t *testing.T) {
	raw, err := os.ReadFile("../../shared/contract/CONTRACT.md")
	if err != nil {
		t.Logf("no owner's copy beside the checkout (%v): the shipped CONTRACT.md stands alone", err)
		return
	}
	owner, shipped := DocumentRows(string(raw)), DocumentRows(Document)
	if len(owner) != len(shipped) {
		t.Fatalf("owner's copy has %d clauses, shipped %d", len(owner), len(shipped))
	}
	for i := range owner {
		if owner[i] != shipped[i] {
			t.Errorf("clause %s differs from the owner's copy:\nowner:   %+v\nshipped: %+v", owner[i].ID, owner[i], shipped[i])
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
