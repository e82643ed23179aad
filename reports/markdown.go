package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// verdictMarks make a long Markdown table scannable.
var verdictMarks = map[results.Verdict]string{
	results.Pass: "✅", results.Fail: "❌", results.Warn: "⚠️", results.Info: "ℹ️", results.Skip: "⏭️", results.Error: "💥",
	results.Waived: "🔕",
}

// WriteMarkdown writes the run as Markdown for a CI job summary or a pull
// request comment: an outcome heading, the counts and costs, a table of
// clauses, then the evidence for every FAIL and WARN in fenced blocks.
func WriteMarkdown(w io.Writer, c *results.Conformance) error {
	return render(w, func(b *bytes.Buffer) error {
		outcome := c.Overall()
		fmt.Fprintf(b, "## %s carpathian-conform: %s\n\n", verdictMarks[outcome], outcome)
		fmt.Fprintf(b, "%s\n\n", mdEscape(headline(c)))
		fmt.Fprintf(b, "**%s**  \n%s\n\n", countsLine(c), costLine(c))
		if c.Interrupted {
			b.WriteString("> **Interrupted:** the run was stopped before every spec ran; the verdicts cover only what ran.\n\n")
		}
		if len(c.Waivers) > 0 {
			b.WriteString("**Waivers**\n\n")
			for _, l := range waiverLines(c) {
				fmt.Fprintf(b, "- %s\n", mdEscape(printable(l)))
			}
			b.WriteString("\n")
		}
		b.WriteString("| Clause | Level | Verdict | Detail |\n|---|---|---|---|\n")
		for _, cr := range c.Clauses {
			fmt.Fprintf(b, "| %s | %s | %s %s | %s |\n", cr.ID, cr.Level, verdictMarks[cr.Verdict], cr.Verdict, mdEscape(printable(cr.Detail)))
		}
		for _, cr := range c.Clauses {
			if !cr.Verdict.NeedsEvidence() {
				continue
			}
			fmt.Fprintf(b, "\n### %s %s %s (%s): %s\n\n", verdictMarks[cr.Verdict], cr.Verdict, cr.ID, cr.Level, mdEscape(cr.Title))
			if cr.Requirement != "" {
				fmt.Fprintf(b, "> %s\n\n", mdEscape(cr.Requirement))
			}
			if cr.Waiver != nil {
				fmt.Fprintf(b, "%s\n\n", mdEscape(printable(waiverHeadline(cr.Waiver))))
			}
			fenced(b, "text", plainEvidence(cr))
		}
		return nil
	})
}

// mdEscape keeps text from a target from being read as Markdown or HTML
// inside a table cell or a heading.
var mdEscape = strings.NewReplacer(
	"|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;", "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`,
).Replace

// fenced writes body in a code block whose fence is longer than any run of
// backticks inside it, so a body cannot close the block.
func fenced(b *bytes.Buffer, lang, body string) {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	fmt.Fprintf(b, "%s%s\n%s", fence, lang, body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	b.WriteString(fence + "\n")
}
