package suites

import (
	"slices"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/contract"
)

// LabelHelp says what --label-filter can select on: the labels every spec
// carries, with their values, as --list shows them.
func LabelHelp() string {
	var areas []string
	for _, c := range contract.Clauses {
		if a := c.Area(); !slices.Contains(areas, a) {
			areas = append(areas, a)
		}
	}
	return "labels are " + labelClause + "ID (e.g. " + labelClause + contract.Clauses[0].ID + "), " +
		labelLevel + "must|should|info, " + labelArea + strings.Join(areas, "|") + ", " +
		labelCost + string(CostNone) + "|" + string(CostLow) + "|" + string(CostHigh) + ", " +
		labelScope + "chat|models|path.PATH|key.ROLE|variant.NAME (e.g. " + labelScope + "path.v1-chat-completions)"
}
