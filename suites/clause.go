package suites

import (
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/contract"
)

// Cost is what a spec spends: none (no tokens: models, refusals), low (a
// few chat calls), high (a burst).
type Cost string

const (
	CostNone Cost = "none"
	CostLow  Cost = "low"
	CostHigh Cost = "high"
)

// Label names, one way everywhere (filters, plan, results).
const (
	labelClause = "clause:"
	labelLevel  = "level:"
	labelArea   = "area:"
	labelCost   = "cost:"
	labelCalls  = "calls:"
	labelScope  = "scope:"
	labelProbe  = "probe:"
)

// Clause is the one decorator every spec carries: the clause it verifies, its
// level and area from the contract, its cost and its worst-case number of
// calls, as Ginkgo labels (clause:ROUTE-2 level:must area:route cost:low
// calls:1) that --label-filter selects on and results are read back from.
func Clause(id string, cost Cost, calls int) Labels {
	c := contract.MustLookup(id)
	return Label(
		labelClause+c.ID,
		labelLevel+strings.ToLower(string(c.Level)),
		labelArea+c.Area(),
		labelCost+string(cost),
		labelCalls+strconv.Itoa(calls),
	)
}

// rowLabels are a row's labels: its clause's (as Clause gives them), one
// scope: label per point of the domain it stands on (scope:chat,
// scope:path.v1-models, scope:key.revoked, scope:variant.stream) and one
// probe: label per call it judges, from which the plan counts each distinct
// call once.
func rowLabels(r Row) Labels {
	c := contract.MustLookup(r.Clause)
	labels := []string{
		labelClause + c.ID,
		labelLevel + strings.ToLower(string(c.Level)),
		labelArea + c.Area(),
		labelCost + string(r.Cost()),
	}
	for _, s := range r.Scopes() {
		labels = append(labels, labelScope+s)
	}
	labels = append(labels, labelProbe+r.Probe.id())
	if r.Ref != nil && !r.Peeked {
		labels = append(labels, labelProbe+r.Ref.id())
	}
	return Label(labels...)
}

// specLabels reads the Clause labels back.
type specLabels struct {
	Clause string
	Level  string
	Area   string
	Cost   Cost
	Calls  int
	Scopes []string
	Probes []string // the distinct calls the spec judges
}

func parseLabels(labels []string) specLabels {
	var s specLabels
	for _, l := range labels {
		switch {
		case strings.HasPrefix(l, labelClause):
			s.Clause = strings.TrimPrefix(l, labelClause)
		case strings.HasPrefix(l, labelLevel):
			s.Level = strings.TrimPrefix(l, labelLevel)
		case strings.HasPrefix(l, labelArea):
			s.Area = strings.TrimPrefix(l, labelArea)
		case strings.HasPrefix(l, labelCost):
			s.Cost = Cost(strings.TrimPrefix(l, labelCost))
		case strings.HasPrefix(l, labelScope):
			s.Scopes = append(s.Scopes, strings.TrimPrefix(l, labelScope))
		case strings.HasPrefix(l, labelProbe):
			s.Probes = append(s.Probes, strings.TrimPrefix(l, labelProbe))
		case strings.HasPrefix(l, labelCalls):
			s.Calls, _ = strconv.Atoi(strings.TrimPrefix(l, labelCalls))
		}
	}
	return s
}
