package capacity

import (
	"fmt"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// SLO is what a step must meet: load thresholds, all of which must hold.
type SLO struct {
	Thresholds []load.Threshold
}

// ParseSLO reads a comma-separated list of load thresholds:
// "p95<3s,success>=99%". An unknown metric or a malformed threshold is an
// error, as for load --threshold: one grammar for both.
func ParseSLO(s string) (SLO, error) {
	var exprs []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			exprs = append(exprs, part)
		}
	}
	if len(exprs) == 0 {
		return SLO{}, fmt.Errorf("the SLO is empty: give thresholds like 'p95<3s,success>=99%%'")
	}
	ts, err := load.ParseThresholds(exprs)
	if err != nil {
		return SLO{}, fmt.Errorf("SLO: %v", err)
	}
	return SLO{Thresholds: ts}, nil
}

func (s SLO) String() string {
	exprs := make([]string, len(s.Thresholds))
	for i, t := range s.Thresholds {
		exprs[i] = t.Expr
	}
	return strings.Join(exprs, ",")
}
