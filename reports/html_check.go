package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// htmlClause is one clause of the check page, collapsible: its verdict in
// the summary line, its specs, evidence and curl commands inside.
type htmlClause struct {
	ID, Level, Title, Verdict, Detail string
	Open                              bool // FAIL and WARN open, so the evidence shows at once
	Specs                             []htmlSpec
}

type htmlSpec struct {
	Name, Outcome, Detail string
	Exchanges             []htmlExchange
}

// htmlExchange is one recorded exchange as the text report shows it, and
// the curl command that replays it, split into lines that paste as one.
type htmlExchange struct {
	Lines []string
	Curl  string
}

// WriteConformanceHTML writes the check run as one self-contained page: the
// verdict counts, then every clause, collapsible, with its specs, evidence
// and curl commands (FAIL and WARN open). WriteFiles writes it to a file.
func WriteConformanceHTML(w io.Writer, c *results.Conformance) error {
	return writeHTML(w, conformancePage(c))
}

func conformancePage(c *results.Conformance) *htmlPage {
	p := &htmlPage{
		Kind:    "check",
		Title:   "carpathian-conform check",
		Meta:    []string{headline(c), costLine(c), fmt.Sprintf("started %s, finished %s", c.Started.Format(timeLayout), c.Finished.Format(timeLayout))},
		Verdict: string(c.Overall()),
		Footer:  fmt.Sprintf("carpathian-conform %s · exit code %d · a FAIL or WARN clause is open and shows its evidence; click any clause for its specs", orDash(c.ToolVersion), c.ExitCode),
	}
	if c.Interrupted {
		p.Verdict += " (interrupted)"
		p.Meta = append(p.Meta, "Interrupted: the run was stopped before every spec ran; the verdicts cover only what ran.")
	}
	for _, l := range waiverLines(c) {
		p.Meta = append(p.Meta, "Waiver: "+printable(l))
	}
	counts := results.CountVerdicts(c.Clauses)
	var tiles []htmlTile
	for _, v := range results.Verdicts {
		tiles = append(tiles, htmlTile{Label: string(v), Value: fmt.Sprint(counts[v]), Class: tileClass(string(v), counts[v])})
	}
	p.Sections = append(p.Sections, htmlSection{Title: "Verdicts", Note: countsLine(c), Tiles: tiles})
	clauses := htmlSection{Title: "Clauses", Note: "Every clause of the contract the run covered, in contract order."}
	for _, cr := range c.Clauses {
		hc := htmlClause{ID: cr.ID, Level: string(cr.Level), Title: printable(cr.Title), Verdict: string(cr.Verdict),
			Detail: printable(cr.Detail), Open: cr.Verdict.NeedsEvidence()}
		if cr.Waiver != nil {
			hc.Detail = printable(waiverHeadline(cr.Waiver)) + "; " + hc.Detail
		}
		for _, s := range cr.Specs {
			hs := htmlSpec{Name: printable(s.Name), Outcome: string(s.Outcome), Detail: printable(s.Detail)}
			for _, e := range s.Evidence {
				hs.Exchanges = append(hs.Exchanges, htmlExchange{Lines: exchangeLines(e), Curl: strings.Join(curlLines(printable(e.Curl)), "\n")})
			}
			hc.Specs = append(hc.Specs, hs)
		}
		clauses.Clauses = append(clauses.Clauses, hc)
	}
	p.Sections = append(p.Sections, clauses)
	return p
}

// timeLayout is how pages print a moment.
const timeLayout = "2006-01-02 15:04:05 MST"

// tileClass colours a verdict count tile when it is not zero.
func tileClass(verdict string, n int) string {
	if n == 0 {
		return ""
	}
	return verdictClass(verdict)
}
