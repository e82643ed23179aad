package suites

import "testing"

func TestClauseLabels(t *testing.T) {
	l := parseLabels(Clause("ROUTE-2", CostLow, 3))
	if l.Clause != "ROUTE-2" || l.Level != "must" || l.Area != "route" || l.Cost != CostLow || l.Calls != 3 {
		t.Errorf("labels = %+v", l)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown clause was accepted")
		}
	}()
	Clause("NOPE-1", CostNone, 1)
}
