package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/carpathian-ai/carpathian-conform/internal/compare"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// SchemaCompare names the compare --json document's schema.
const SchemaCompare = "carpathian-conform/compare/v1"

// changeGroups are a conformance comparison's lists, in the order shown.
func changeGroups(d *compare.ConformanceDiff) []struct {
	name    string
	changes []compare.Change
} {
	return []struct {
		name    string
		changes []compare.Change
	}{
		{"REGRESSION", d.Regressions}, {"FIXED", d.Fixed}, {"WAIVED", d.Waived}, {"APPEARED", d.Appeared}, {"VANISHED", d.Vanished},
	}
}

// compareVerdict is the comparison in one line.
func compareVerdict(r *compare.Result) string {
	if d := r.Conformance; d != nil {
		if len(d.Regressions) > 0 {
			return "REGRESSED: newly failing: " + strings.Join(regressionNames(d), ", ")
		}
		return fmt.Sprintf("no regression (%d fixed, %d waived, %d appeared, %d vanished)", len(d.Fixed), len(d.Waived), len(d.Appeared), len(d.Vanished))
	}
	var breached []string
	for _, m := range r.Load.Breaches() {
		breached = append(breached, m.Limit)
	}
	if len(breached) > 0 {
		return "REGRESSED: exceeds --max-regression " + strings.Join(breached, ", ")
	}
	return "within --max-regression"
}

// regressionNames are the clauses (and specs) that newly fail.
func regressionNames(d *compare.ConformanceDiff) []string {
	var out []string
	for _, c := range d.Regressions {
		if c.Spec == "" {
			out = append(out, c.Clause+" "+c.New)
		}
	}
	if len(out) == 0 { // only specs regressed, inside clauses failing already
		for _, c := range d.Regressions {
			out = append(out, c.Clause+" "+c.Spec)
		}
	}
	return out
}

func runLine(label string, r compare.Run) string {
	parts := []string{label + " " + r.Name}
	for _, p := range []string{safeURL(r.Target), startedAt(r.Started), r.ToolVersion, r.Summary} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return printable(strings.Join(parts, " · "))
}

func startedAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// changeRows are a conformance comparison's rows: what, clause, spec, old →
// new, detail.
func changeRows(d *compare.ConformanceDiff) [][]string {
	var rows [][]string
	for _, g := range changeGroups(d) {
		for _, c := range g.changes {
			rows = append(rows, []string{g.name, c.Clause, printable(orDash(c.Spec)), orDash(c.Old) + " → " + orDash(c.New), printable(results.OneLine(c.Detail, 80))})
		}
	}
	return rows
}

// metricRows are a load comparison's rows: metric, old, new, change, limit,
// verdict.
func metricRows(d *compare.LoadDiff) [][]string {
	var rows [][]string
	for _, m := range d.Metrics {
		verdict := ""
		switch {
		case m.Breached:
			verdict = "EXCEEDED"
		case m.Limit != "":
			verdict = "ok"
		}
		rows = append(rows, []string{m.Name, metricValue(m, m.Old, m.HasOld), metricValue(m, m.New, m.HasNew), metricChange(m), orDash(m.Limit), orDash(verdict)})
	}
	return rows
}

func metricValue(m compare.Metric, v float64, ok bool) string {
	if !ok {
		return "-"
	}
	switch m.Unit {
	case compare.UnitDuration:
		return loadDur(time.Duration(v))
	case compare.UnitRatio:
		return loadPct(v)
	}
	return loadRate(v)
}

// metricChange is the change with its sign: "+150ms (+15.0%)", "-0.30pp".
func metricChange(m compare.Metric) string {
	if !m.HasOld || !m.HasNew {
		return "-"
	}
	rel := ""
	if m.Old != 0 {
		rel = fmt.Sprintf(" (%+.1f%%)", m.Relative()*100)
	}
	switch m.Unit {
	case compare.UnitDuration:
		d := time.Duration(m.Delta())
		sign := "+"
		if d < 0 {
			sign, d = "-", -d
		}
		return sign + loadDur(d) + rel
	case compare.UnitRatio:
		return fmt.Sprintf("%+.2fpp", m.Delta()*100)
	}
	return fmt.Sprintf("%+.2f/s", m.Delta()) + rel
}

var metricAlign = []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft}

// WriteCompare writes a comparison for people: the two runs, a table of
// changes (conformance) or of figures side by side (load), and the verdict.
func WriteCompare(w io.Writer, r *compare.Result) error {
	return render(w, func(b *bytes.Buffer) error {
		p := wrappedPrinter{b: b, width: TableWidth}
		old, new := sides(r)
		p.line("", runLine("OLD", old))
		p.line("", runLine("NEW", new))
		if d := r.Conformance; d != nil {
			if rows := changeRows(d); len(rows) > 0 {
				if err := Table(b, "", []string{"change", "clause", "spec", "old → new", "detail"}, rows, nil); err != nil {
					return err
				}
			} else {
				p.line("", "No clause or spec changed.")
			}
		} else if err := Table(b, "", []string{"metric", "old", "new", "change", "limit", "verdict"}, metricRows(r.Load), metricAlign); err != nil {
			return err
		}
		p.line("", compareVerdict(r))
		return nil
	})
}

// WriteCompareMarkdown writes a comparison for a pull request or a CI step
// summary.
func WriteCompareMarkdown(w io.Writer, r *compare.Result) error {
	return render(w, func(b *bytes.Buffer) error {
		mark := "✅"
		if r.ExitCode() != 0 {
			mark = "❌"
		}
		fmt.Fprintf(b, "## %s carpathian-conform compare: %s\n\n", mark, mdEscape(compareVerdict(r)))
		old, new := sides(r)
		fmt.Fprintf(b, "- %s\n- %s\n\n", mdEscape(runLine("OLD", old)), mdEscape(runLine("NEW", new)))
		var header []string
		var rows [][]string
		if d := r.Conformance; d != nil {
			header, rows = []string{"Change", "Clause", "Spec", "Old → New", "Detail"}, changeRows(d)
			if len(rows) == 0 {
				b.WriteString("No clause or spec changed.\n")
				return nil
			}
		} else {
			header, rows = []string{"Metric", "Old", "New", "Change", "Limit", "Verdict"}, metricRows(r.Load)
		}
		b.WriteString("| " + strings.Join(header, " | ") + " |\n|" + strings.Repeat("---|", len(header)) + "\n")
		for _, row := range rows {
			for i := range row {
				row[i] = mdEscape(row[i])
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
		return nil
	})
}

// compareJSON is the compare --json document.
type compareJSON struct {
	Schema   string `json:"schema"`
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exit_code"`
	*compare.Result
}

// WriteCompareJSON writes a comparison as JSON, schema SchemaCompare.
func WriteCompareJSON(w io.Writer, r *compare.Result) error {
	return render(w, func(b *bytes.Buffer) error {
		enc := json.NewEncoder(b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(compareJSON{Schema: SchemaCompare, Verdict: compareVerdict(r), ExitCode: r.ExitCode(), Result: withEmptyLists(r)})
	})
}

// withEmptyLists keeps every list of the document a list, never null, and
// the targets without credentials.
func withEmptyLists(r *compare.Result) *compare.Result {
	out := *r
	if d := r.Load; d != nil {
		l := *d
		l.Old.Target, l.New.Target = safeURL(l.Old.Target), safeURL(l.New.Target)
		out.Load = &l
	}
	if d := r.Conformance; d != nil {
		c := *d
		c.Old.Target, c.New.Target = safeURL(c.Old.Target), safeURL(c.New.Target)
		for _, l := range []*[]compare.Change{&c.Regressions, &c.Fixed, &c.Waived, &c.Appeared, &c.Vanished} {
			if *l == nil {
				*l = []compare.Change{}
			}
		}
		out.Conformance = &c
	}
	return &out
}

func sides(r *compare.Result) (compare.Run, compare.Run) {
	if r.Conformance != nil {
		return r.Conformance.Old, r.Conformance.New
	}
	return r.Load.Old, r.Load.New
}
