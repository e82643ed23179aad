package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load/capacity"
)

// WriteCapacityHTML writes a capacity search as one self-contained page:
// the answer, offered against served rate by step, latency by rate with the
// knee marked, and the steps table.
func WriteCapacityHTML(w io.Writer, res *capacity.Result, method, target, toolVersion string, exitCode int) error {
	return writeHTML(w, capacityPage(res, method, target, toolVersion, exitCode))
}

// WriteCapacityHTMLFile writes the page to path with WriteFile.
func WriteCapacityHTMLFile(path string, stdout io.Writer, res *capacity.Result, method, target, toolVersion string, exitCode int) error {
	return writeHTMLFile(path, stdout, capacityPage(res, method, target, toolVersion, exitCode))
}

func capacityPage(res *capacity.Result, method, target, toolVersion string, exitCode int) *htmlPage {
	cfg := res.Config
	p := &htmlPage{
		Kind:  "capacity",
		Title: "carpathian-conform capacity",
		Meta: []string{
			method + " " + safeURL(target),
			fmt.Sprintf("SLO %s · steps of %s (first %s left out) · from %s up to %s, precision %s",
				cfg.SLO, cfg.StepDuration, cfg.Warmup, cfg.Start, cfg.Max, capacityPct(cfg.Precision)),
			fmt.Sprintf("started %s, %s", res.Started.Format(timeLayout), res.Finished.Sub(res.Started).Round(100*time.Millisecond)),
		},
		Verdict: "NO ANSWER",
		Footer:  fmt.Sprintf("carpathian-conform %s · exit code %d · search stopped: %s", orDash(toolVersion), exitCode, res.Stop),
	}
	tiles := []htmlTile{{Label: "max sustainable rate", Value: "none", Class: "fail"}}
	if res.Best != nil {
		p.Verdict = "ANSWERED"
		tiles[0] = htmlTile{Label: "max sustainable rate (offered; served " + loadRate(res.Best.Achieved) + ")", Value: res.Best.Rate.String(), Class: "pass"}
	}
	knee := htmlTile{Label: "knee", Value: "none found"}
	if res.Knee.Found {
		knee = htmlTile{Label: "knee: median " + loadDur(res.Knee.P50) + " vs " + loadDur(res.Knee.Baseline), Value: res.Knee.Rate.String(), Class: "warn"}
	}
	tiles = append(tiles, knee,
		htmlTile{Label: "steps", Value: strconv.Itoa(len(res.Steps))},
		htmlTile{Label: "calls", Value: loadCount(res.Calls)},
		htmlTile{Label: "tokens", Value: strconv.FormatInt(res.Tokens, 10)},
	)
	p.Sections = append(p.Sections, htmlSection{Title: "Answer", Tiles: tiles, Lines: CapacityAnswer(res)})

	steps := slices.Clone(res.Steps)
	slices.SortStableFunc(steps, func(a, b *capacity.Step) int { return cmp.Compare(a.Rate, b.Rate) })
	if len(steps) > 0 {
		for _, c := range capacityCharts(res, steps) {
			p.Charts = append(p.Charts, c)
			p.Sections = append(p.Sections, htmlSection{Title: c.Title, Chart: c.ID})
		}
	}
	t := &htmlTable{Header: capacityStepHeader, NumericFrom: 1}
	for _, s := range steps {
		row := cells(capacityStepRow(s)...)
		last := &row[len(row)-1]
		last.Class = verdictClass(last.Text)
		t.Rows = append(t.Rows, row)
	}
	p.Sections = append(p.Sections, htmlSection{Title: "Steps", Note: capacityStepTitle, Table: t, Lines: capacityMisses(res)})
	return p
}

// capacityCharts are offered against served rate, and latency by rate; both
// mark the knee and the answer.
func capacityCharts(res *capacity.Result, steps []*capacity.Step) []htmlChart {
	n := len(steps)
	x := make([]float64, n)
	offered, met, missed := make([]*float64, n), make([]*float64, n), make([]*float64, n)
	p50, p95, p99 := make([]*float64, n), make([]*float64, n), make([]*float64, n)
	for i, s := range steps {
		x[i] = float64(s.Rate)
		offered[i] = num(float64(s.Rate))
		if s.Met {
			met[i] = num(s.Achieved)
		} else {
			missed[i] = num(s.Achieved)
		}
		if l := s.Measured.SuccessLatencies; l.Count > 0 {
			p50[i], p95[i], p99[i] = msOf(l.P50), msOf(l.P95), msOf(l.P99)
		}
	}
	var marks []htmlMark
	if res.Best != nil {
		marks = append(marks, htmlMark{At: float64(res.Best.Rate), Label: "answer " + res.Best.Rate.String(), Color: colorOK})
	}
	if res.Knee.Found {
		marks = append(marks, htmlMark{At: float64(res.Knee.Rate), Label: "knee " + res.Knee.Rate.String(), Color: colorP99})
	}
	return []htmlChart{
		{ID: "capacity-served", Title: "Offered and served rate by step", XLabel: "offered rate", YLabel: "served rate",
			XFormat: "rate", YFormat: "rate", X: x, XMarks: marks,
			Series: []htmlSeries{
				{Label: "offered (all served)", Color: colorMark, Style: "dash", Values: offered},
				{Label: "served, SLO met", Color: colorOK, Style: "points", Values: met},
				{Label: "served, SLO missed or not judged", Color: colorFailed, Style: "points", Values: missed},
			}},
		{ID: "capacity-latency", Title: "Latency of successes by offered rate", XLabel: "offered rate", YLabel: "latency",
			XFormat: "rate", YFormat: "ms", X: x, XMarks: marks,
			Series: []htmlSeries{
				{Label: "p50", Color: colorP50, Style: "line", Values: p50},
				{Label: "p95", Color: colorP90, Style: "line", Values: p95},
				{Label: "p99", Color: colorP99, Style: "line", Values: p99},
			}},
	}
}
