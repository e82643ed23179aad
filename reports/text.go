package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// WriteTable writes the human report, laid out for TableWidth columns: a
// table of clauses, the verdict counts, what the run cost, then the evidence
// for every FAIL and WARN with a curl command that reproduces it.
func WriteTable(w io.Writer, c *results.Conformance) error {
	return render(w, func(b *bytes.Buffer) error {
		p := wrappedPrinter{b: b, width: TableWidth}
		p.line("", headline(c))
		rows := make([][]string, len(c.Clauses))
		for i, cr := range c.Clauses {
			rows[i] = []string{cr.ID, string(cr.Level), string(cr.Verdict), printable(cr.Detail)}
		}
		if err := Table(b, "", []string{"clause", "level", "verdict", "detail"}, rows, nil); err != nil {
			return err
		}
		p.line("", countsLine(c))
		p.line("", costLine(c))
		if c.Interrupted {
			p.line("", "INTERRUPTED: the run was stopped before every spec ran; the verdicts cover only what ran.")
		}
		if len(c.Waivers) > 0 {
			p.line("", "Waivers:")
			for _, l := range waiverLines(c) {
				p.line("  ", printable(l))
			}
		}
		for _, cr := range c.Clauses {
			if !cr.Verdict.NeedsEvidence() {
				continue
			}
			b.WriteString("\n")
			p.line("", fmt.Sprintf("%s %s (%s): %s", cr.Verdict, cr.ID, cr.Level, cr.Title))
			if cr.Waiver != nil {
				p.line("  ", printable(waiverHeadline(cr.Waiver)))
			}
			for _, l := range evidenceOf(cr) {
				indent := strings.Repeat("  ", l.depth+1)
				if l.verbatim {
					b.WriteString(indent + l.text + "\n")
				} else {
					p.line(indent, l.text)
				}
			}
		}
		return nil
	})
}

// wrappedPrinter writes indented lines that never exceed width columns.
type wrappedPrinter struct {
	b     *bytes.Buffer
	width int
}

// line word-wraps prose under indent.
func (p wrappedPrinter) line(indent, s string) {
	for _, l := range Wrap(s, p.width-len(indent)) {
		p.b.WriteString(strings.TrimRight(indent+l, " ") + "\n")
	}
}
