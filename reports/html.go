package reports

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"strings"
)

// The HTML reports are one self-contained file each: the page, its style,
// uPlot (vendored, MIT) and the chart data are all inline, so a page opens
// from file:// with no network, attached to a ticket or a CI artifact.
//
//go:embed html/style.css html/app.js html/uplot/uPlot.iife.min.js html/uplot/uPlot.min.css
var htmlAssets embed.FS

// htmlPage is what every HTML report is made of: a heading, sections of
// figures, tables, charts, prose and collapsible clauses. Each command's
// page builds one; pageNode (html_layout.go) lays them all out the same way.
type htmlPage struct {
	Kind     string   // the command: load, capacity, ratelimit, check
	Title    string   // the page's heading
	Meta     []string // lines under the heading: target, profile, times
	Verdict  string   // the run's verdict in one word or phrase
	Sections []htmlSection
	Charts   []htmlChart // drawn by app.js into the sections naming them
	Footer   string
}

// htmlSection is one block of a page; any of its parts may be empty.
type htmlSection struct {
	Title   string
	Note    string
	Tiles   []htmlTile
	Lines   []string
	Chart   string // the ID of a chart in htmlPage.Charts
	Table   *htmlTable
	Clauses []htmlClause
}

// htmlTile is one headline figure.
type htmlTile struct {
	Label, Value string
	Class        string // pass, fail, warn or empty
}

// htmlTable is a table; columns from NumericFrom on are right-aligned.
type htmlTable struct {
	Header      []string
	Rows        [][]htmlCell
	NumericFrom int
}

// htmlCell is a table cell; Class colours it (a verdict).
type htmlCell struct {
	Text, Class string
	Pre         bool // keep line breaks (multi-line evidence)
}

// htmlChart is a chart's data and how app.js draws it. X and every series'
// values line up; a nil value is a gap.
type htmlChart struct {
	ID      string       `json:"id"`
	Title   string       `json:"title"`
	XLabel  string       `json:"xLabel"`
	YLabel  string       `json:"yLabel"`
	XFormat string       `json:"xFormat"` // seconds, rate or ticks (XTicks name each x)
	YFormat string       `json:"yFormat"` // ms, count, rate or tokens
	X       []float64    `json:"x"`
	XTicks  []string     `json:"xTicks,omitempty"`
	Series  []htmlSeries `json:"series"`
	// XMarks and YMarks are labelled vertical and horizontal lines: a knee,
	// a limit.
	XMarks []htmlMark `json:"xMarks,omitempty"`
	YMarks []htmlMark `json:"yMarks,omitempty"`
}

// htmlSeries is one line, set of points or set of bars.
type htmlSeries struct {
	Label  string     `json:"label"`
	Color  string     `json:"color"`
	Style  string     `json:"style"` // line, step, points, bars-left, bars-right, dash
	Values []*float64 `json:"values"`
}

// htmlMark is a labelled reference line.
type htmlMark struct {
	At    float64 `json:"at"`
	Label string  `json:"label"`
	Color string  `json:"color"`
}

// Colours: one meaning each across every page.
const (
	colorOK      = "#1a7f37" // served, success, 2xx
	colorLimited = "#bf8700" // 429
	colorFailed  = "#cf222e" // failures, 5xx
	colorP50     = "#0969da"
	colorP90     = "#8250df"
	colorP99     = "#e16f24"
	colorMax     = "#6e7781"
	colorMark    = "#57606a"
)

// palette colours series with no fixed meaning (error classes, other statuses).
var palette = []string{"#0969da", "#8250df", "#e16f24", "#bc4c00", "#1b7c83", "#a40e26", "#4d2d00", "#6639ba", "#0550ae"}

// num is a chart value.
func num(v float64) *float64 { return &v }

// writeHTML renders a page whole, keys scrubbed like every report.
func writeHTML(w io.Writer, p *htmlPage) error {
	charts, err := chartJSON(p.Charts)
	if err != nil {
		return fmt.Errorf("rendering the HTML report: %v", err)
	}
	page := pageNode(p, embeddedAssets(), charts)
	return render(w, func(b *bytes.Buffer) error { return page.Render(b) })
}

// writeHTMLFile writes a page to path with WriteFile ("-" is stdout).
func writeHTMLFile(path string, stdout io.Writer, p *htmlPage) error {
	return WriteFile(path, stdout, "HTML report", func(w io.Writer) error { return writeHTML(w, p) })
}

// verdictClass is the CSS class that colours a verdict word.
func verdictClass(v string) string {
	word := strings.FieldsFunc(strings.ToUpper(v), func(r rune) bool { return r < 'A' || r > 'Z' })
	if len(word) == 0 {
		return ""
	}
	switch word[0] {
	case "PASS", "YES", "MET", "ANSWERED":
		return "pass"
	case "FAIL", "NO", "ERROR", "BREACHED":
		return "fail"
	case "WARN", "WAIVED", "INCOMPLETE", "INTERRUPTED", "ABORTED":
		return "warn"
	case "INFO", "SKIP":
		return "info"
	}
	return ""
}

// cells makes a row of plain cells.
func cells(texts ...string) []htmlCell {
	row := make([]htmlCell, len(texts))
	for i, t := range texts {
		row[i] = htmlCell{Text: printable(t)}
	}
	return row
}

// tableOf turns a text report's rows into an HTML table.
func tableOf(header []string, rows [][]string, numericFrom int) *htmlTable {
	t := &htmlTable{Header: header, NumericFrom: numericFrom}
	for _, r := range rows {
		t.Rows = append(t.Rows, cells(r...))
	}
	if numericFrom <= 0 {
		t.NumericFrom = len(header) // none
	}
	return t
}
