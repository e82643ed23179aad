package reports

import (
	"encoding/json"
	"fmt"
	"strings"

	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// The page's layout, built in Go with gomponents rather than executed as a
// template: template execution reaches reflect.Value.MethodByName, and the
// linker then keeps every exported method of every linked type (golang/go#72895;
// cmd/deadcode_test.go guards it). g.Text and attribute values are HTML-escaped;
// g.Raw is only ever our own embedded assets and JSON that cannot close its
// <script>.

// pageAssets is what a page inlines: its style, and the chart library and
// code when it has charts.
type pageAssets struct {
	StyleCSS, UPlotCSS, UPlotJS, AppJS string
}

// embeddedAssets reads the assets compiled into the binary.
func embeddedAssets() pageAssets {
	asset := func(name string) string {
		b, err := htmlAssets.ReadFile("html/" + name)
		if err != nil {
			panic(err) // embedded at build time: cannot be missing
		}
		return string(b)
	}
	return pageAssets{
		StyleCSS: asset("style.css"),
		UPlotCSS: asset("uplot/uPlot.min.css"),
		UPlotJS:  asset("uplot/uPlot.iife.min.js"),
		AppJS:    asset("app.js"),
	}
}

// chartJSON is the charts' data for <script type="application/json">.
// encoding/json escapes <, > and & (and U+2028/U+2029), so no label a target
// sent can end the script element or open a comment in it.
func chartJSON(charts []htmlChart) (string, error) {
	b, err := json.Marshal(charts)
	if err != nil {
		return "", fmt.Errorf("the chart data: %v", err)
	}
	return string(b), nil
}

// pageNode lays out a whole page.
func pageNode(p *htmlPage, a pageAssets, charts string) g.Node {
	// The doctype spelled as before gomponents, which writes it lower-case:
	// readers (and tests) that look for <!DOCTYPE html> still find it.
	return g.Group{g.Raw("<!DOCTYPE html>\n"), h.HTML(h.Lang("en"),
		h.Head(
			h.Meta(h.Charset("utf-8")),
			h.Meta(h.Name("viewport"), h.Content("width=device-width, initial-scale=1")),
			h.TitleEl(g.Text(p.Title)),
			h.StyleEl(g.Raw(a.UPlotCSS)),
			h.StyleEl(g.Raw(a.StyleCSS)),
		),
		h.Body(h.Class("kind-"+p.Kind),
			h.Header(
				h.H1(g.Text(p.Title), g.If(p.Verdict != "", g.Group{g.Text(" "),
					h.Span(classes("badge", verdictClass(p.Verdict)), h.ID("verdict"), g.Text(p.Verdict))})),
				g.Map(p.Meta, func(line string) g.Node { return h.P(h.Class("meta"), g.Text(line)) }),
			),
			h.Main(g.Map(p.Sections, sectionNode)),
			h.Footer(g.Text(p.Footer)),
			g.If(len(p.Charts) > 0, g.Group{
				h.Script(h.Type("application/json"), h.ID("chart-data"), g.Raw(charts)),
				h.Script(g.Raw(a.UPlotJS)),
				h.Script(g.Raw(a.AppJS)),
			}),
		),
	), g.Raw("\n")}
}

func sectionNode(s htmlSection) g.Node {
	return h.Section(
		g.If(s.Title != "", h.H2(g.Text(s.Title))),
		g.If(s.Note != "", h.P(h.Class("note"), g.Text(s.Note))),
		g.If(len(s.Tiles) > 0, h.Div(h.Class("tiles"), g.Map(s.Tiles, tileNode))),
		g.If(s.Chart != "", h.Div(h.Class("chart"), h.ID(s.Chart))),
		g.Iff(s.Table != nil, func() g.Node { return tableNode(s.Table) }),
		g.Map(s.Lines, func(line string) g.Node { return h.P(g.Text(line)) }),
		g.Map(s.Clauses, clauseNode),
	)
}

func tileNode(t htmlTile) g.Node {
	return h.Div(classes("tile", t.Class),
		h.Div(h.Class("value"), g.Text(t.Value)),
		h.Div(h.Class("label"), g.Text(t.Label)))
}

func tableNode(t *htmlTable) g.Node {
	numeric := func(col int) string {
		if col >= t.NumericFrom {
			return "num"
		}
		return ""
	}
	header := make([]g.Node, len(t.Header))
	for i, text := range t.Header {
		header[i] = h.Th(classes(numeric(i)), g.Text(text))
	}
	rows := make([]g.Node, len(t.Rows))
	for r, row := range t.Rows {
		tds := make([]g.Node, len(row))
		for i, c := range row {
			pre := ""
			if c.Pre {
				pre = "pre"
			}
			text := g.Text(c.Text)
			if c.Class != "" {
				text = h.Span(classes("badge", c.Class), text)
			}
			tds[i] = h.Td(classes(numeric(i), pre, c.Class), text)
		}
		rows[r] = h.Tr(tds...)
	}
	return h.Div(h.Class("table-wrap"), h.Table(
		h.THead(h.Tr(header...)),
		h.TBody(rows...)))
}

func clauseNode(c htmlClause) g.Node {
	return h.Details(h.Class("clause"), g.If(c.Open, g.Attr("open")), h.ID("clause-"+c.ID),
		h.Summary(
			h.Span(classes("badge", verdictClass(c.Verdict)), g.Text(c.Verdict)), g.Text(" "),
			h.B(g.Text(c.ID)), g.Text(" "),
			h.Span(h.Class("level"), g.Text(c.Level)), g.Text(" "+c.Title),
			g.If(c.Detail != "", g.Group{g.Text(" "), h.Span(h.Class("detail"), g.Text("— "+c.Detail))}),
		),
		h.Div(h.Class("specs"), g.Map(c.Specs, specNode)),
	)
}

func specNode(s htmlSpec) g.Node {
	return h.Div(h.Class("spec"),
		h.Span(classes("outcome", s.Outcome), g.Text(s.Outcome)), g.Text(" "+s.Name),
		g.If(s.Detail != "", h.Div(h.Class("spec-detail"), g.Text(s.Detail))),
		g.Map(s.Exchanges, func(e htmlExchange) g.Node {
			var lines strings.Builder
			for _, l := range e.Lines {
				lines.WriteString(l + "\n")
			}
			return g.Group{
				h.Pre(h.Class("exchange"), g.Text(lines.String())),
				h.Div(h.Class("curl-label"), g.Text("Reproduce with curl")),
				h.Pre(h.Class("curl"), g.Text(e.Curl)),
			}
		}),
	)
}

// classes is a class attribute of the names given that are not empty, or
// nothing.
func classes(names ...string) g.Node {
	var set []string
	for _, n := range names {
		if n != "" {
			set = append(set, n)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return h.Class(strings.Join(set, " "))
}
