package suites

import (
	"io"
	"regexp"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// Rerun is the selection --rerun-failed runs: the specs named (as reports
// name them) and the specs they need. Within an Ordered container (the RATE
// workflow) a spec judges what the earlier ones provoked, so the earlier
// specs of its container run too. It walks the spec tree without a request.
// Specs the suite no longer has are returned in missing.
func Rerun(cfg Config, names []string) (selected, missing []string, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	runMu.Lock()
	defer runMu.Unlock()
	bridge = newRuntime(cfg)
	all := cfg
	all.LabelFilter, all.Focus = "", nil
	sc, rc := ginkgoConfig(all, io.Discard)
	report := PreviewSpecs(suiteName, sc, rc)
	var specs []types.SpecReport
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType == types.NodeTypeIt {
			specs = append(specs, sr)
		}
	}
	add := func(name string) {
		if !slices.Contains(selected, name) {
			selected = append(selected, name)
		}
	}
	for _, name := range names {
		i := slices.IndexFunc(specs, func(sr types.SpecReport) bool { return specName(sr) == name })
		if i < 0 {
			missing = append(missing, name)
			continue
		}
		if specs[i].IsInOrderedContainer {
			for _, earlier := range specs[:i] {
				if earlier.IsInOrderedContainer && slices.Equal(earlier.ContainerHierarchyTexts, specs[i].ContainerHierarchyTexts) {
					add(specName(earlier))
				}
			}
		}
		add(name)
	}
	return selected, missing, nil
}

// FocusOn is the Ginkgo focus that selects exactly the specs named: Ginkgo
// matches a focus against the suite's name and the spec's text, space-joined.
func FocusOn(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "(^| )" + regexp.QuoteMeta(n) + "$"
	}
	return out
}
