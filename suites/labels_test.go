package suites

import (
	"strings"
	"testing"
)

// The labels the --label-filter error and --list name are the ones the specs
// carry.
func TestLabelHelpNamesEveryLabelInUse(t *testing.T) {
	plan, err := Prepare(planConfig())
	if err != nil {
		t.Fatal(err)
	}
	help := LabelHelp()
	values := func(label string) []string {
		i := strings.Index(help, label)
		rest := help[i+len(label):]
		return strings.Split(strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' })[0], "|")
	}
	for _, s := range plan.Specs {
		for label, v := range map[string]string{labelLevel: s.Level, labelArea: s.Area, labelCost: string(s.Cost)} {
			found := false
			for _, h := range values(label) {
				found = found || h == v
			}
			if !found {
				t.Errorf("%s carries %s%s, which the help (%q) does not name", s.Name, label, v, help)
			}
		}
	}
}
