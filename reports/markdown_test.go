package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

func TestMarkdownReport(t *testing.T) {
	c := sampleConformance(false)
	var b bytes.Buffer
	if err := WriteMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	lines := strings.Split(md, "\n")
	if !strings.HasPrefix(lines[0], "## ❌ carpathian-conform: FAIL") {
		t.Errorf("heading %q", lines[0])
	}
	if !strings.Contains(md, "**8 PASS · 1 FAIL · 1 WARN · 1 INFO · 27 SKIP · 1 ERROR**") {
		t.Error("no counts line")
	}
	rows := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| Clause") {
			rows++
			if cells := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); cells != 5 {
				t.Errorf("row with %d separators: %s", cells, l)
			}
		}
	}
	if rows != len(c.Clauses) {
		t.Errorf("%d table rows, want %d", rows, len(c.Clauses))
	}
	for _, want := range []string{
		"| ROUTE-2 | MUST | ❌ FAIL |",
		"| RATE-4 | SHOULD | ⚠️ WARN | 429 without Retry-After |",
		"### ❌ FAIL ROUTE-2 (MUST)",
		"### ⚠️ WARN RATE-4 (SHOULD)",
		"```text\nPOST {root}/chat answers a chat completion:",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Count(md, "```text") != 2 || strings.Count(md, "```")%2 != 0 {
		t.Errorf("want two balanced evidence blocks:\n%s", md)
	}
	if strings.Contains(md, "### 💥") {
		t.Error("evidence is for FAIL and WARN only")
	}
}

func TestMarkdownKeepsTargetTextInert(t *testing.T) {
	clauses, _, _ := results.Aggregate([]results.SpecResult{{
		Clause: "ERR-2", Name: "envelope", Outcome: results.OutcomeViolated,
		Detail: "body was <script>x</script> | not JSON",
	}}, false)
	c := &results.Conformance{Clauses: clauses}
	for i := range c.Clauses {
		if c.Clauses[i].ID == "ERR-2" {
			c.Clauses[i].Specs[0].Detail = "```\n# heading"
		}
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if strings.Contains(md, "<script>") || !strings.Contains(md, `&lt;script&gt;x&lt;/script&gt; \| not JSON`) {
		t.Errorf("table cell not escaped:\n%s", md)
	}
	if !strings.Contains(md, "````text\n") {
		t.Errorf("a body holding ``` must get a longer fence:\n%s", md)
	}
}

func TestOverallAgreesWithExitCode(t *testing.T) {
	for _, specs := range [][]results.SpecResult{
		nil,
		{spec("SDK-1", results.OutcomeErrored, "x")},
		{spec("SDK-1", results.OutcomeErrored, "x"), spec("ROUTE-1", results.OutcomeViolated, "y")},
	} {
		clauses, counts, exit := results.Aggregate(specs, false)
		c := &results.Conformance{Clauses: clauses}
		want := map[int]results.Verdict{0: results.Pass, 1: results.Fail, 3: results.Error}[exit]
		if got := c.Overall(); got != want || results.ExitCode(counts) != exit {
			t.Errorf("overall %s for exit %d", got, exit)
		}
	}
}
