package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// DistributionBins is how many bars the latency distribution chart has.
const DistributionBins = 30

// WriteLoadHTML writes a load run as one self-contained page: the summary,
// the thresholds, latency over time, status codes and error classes over
// time, tokens per second over time, the latency distribution and every
// table of the text report. The timeline is the run's load.Timeline sink.
func WriteLoadHTML(w io.Writer, run *LoadRun, tl *load.Timeline, toolVersion string) error {
	return writeHTML(w, loadPage(run, tl, toolVersion))
}

// WriteLoadHTMLFile writes the page to path with WriteFile.
func WriteLoadHTMLFile(path string, stdout io.Writer, run *LoadRun, tl *load.Timeline, toolVersion string) error {
	return writeHTMLFile(path, stdout, loadPage(run, tl, toolVersion))
}

func loadPage(run *LoadRun, tl *load.Timeline, toolVersion string) *htmlPage {
	res := run.Result
	s := &res.Summary
	p := &htmlPage{
		Kind:  "load",
		Title: "carpathian-conform load",
		Meta: []string{
			res.Plan.Method() + " " + safeURL(res.Plan.Root.URL(res.Plan.Path)),
			"profile " + s.Profile,
			fmt.Sprintf("started %s, %s", res.Started.Format(timeLayout), s.Elapsed.Round(time.Millisecond)),
		},
		Verdict: loadVerdict(run),
		Footer:  fmt.Sprintf("carpathian-conform %s · exit code %d · latencies from HDR histograms (tables ±0.1%%, charts ±6%% per time slice)", orDash(toolVersion), run.ExitCode),
	}
	p.Sections = append(p.Sections, htmlSection{Title: "Summary", Tiles: loadTiles(run)})
	if len(run.Thresholds) > 0 {
		t := tableOf(loadThresholdHeader, loadThresholdRows(run.Thresholds), 0)
		for _, row := range t.Rows {
			row[2].Class = verdictClass(row[2].Text)
		}
		p.Sections = append(p.Sections, htmlSection{Title: "Thresholds", Table: t})
	}
	if buckets := timelineBuckets(tl); len(buckets) > 0 { // nothing to draw when no call was made
		width := tl.Width()
		// Calls are placed by send time, tokens by answer time: the slices
		// after the last send hold only answers, and would show the rate of
		// calls fall to nothing.
		sent := buckets
		for len(sent) > 1 && sent[len(sent)-1].Requests == 0 {
			sent = sent[:len(sent)-1]
		}
		charts := []htmlChart{loadLatencyChart(sent), loadStatusChart(whole(sent, width, s.Latest.Sub(tl.Origin())), width)}
		if s.Chat {
			charts = append(charts, loadTokenChart(whole(buckets, width, s.End.Sub(tl.Origin())), width))
		}
		if d := loadDistributionChart(tl.Distribution(DistributionBins)); d != nil {
			charts = append(charts, *d)
		}
		notes := map[string]string{
			"latency-over-time":    fmt.Sprintf("Calls placed by when they were sent, in slices of %s; percentiles of the successes.", width),
			"status-over-time":     fmt.Sprintf("Calls per second by status code, and by error class where the status does not tell (no answer, a broken body), in slices of %s.", width),
			"tokens-over-time":     fmt.Sprintf("Tokens per second of the answers that came back in each %s slice.", width),
			"latency-distribution": "Every call, on a logarithmic latency scale: successes and the rest (429s, failures) side by side.",
		}
		for _, c := range charts {
			p.Charts = append(p.Charts, c)
			p.Sections = append(p.Sections, htmlSection{Title: c.Title, Note: notes[c.ID], Chart: c.ID})
		}
	}
	header, rows := loadLatencyRows(s)
	p.Sections = append(p.Sections,
		htmlSection{Title: "Figures", Table: tableOf([]string{"figure", "value"}, loadSummaryRows(s), 1)},
		htmlSection{Title: "Latency by outcome", Table: tableOf(header, rows, 1)},
		htmlSection{Title: "Status codes and error classes", Table: tableOf([]string{"outcome", "count"}, loadStatusRows(s), 1)},
	)
	if len(s.Errors) > 0 {
		var msgs [][]string
		for _, e := range s.Errors {
			msgs = append(msgs, []string{e})
		}
		p.Sections = append(p.Sections, htmlSection{Title: "Distinct errors", Table: tableOf([]string{"message"}, msgs, 0)})
	}
	if s.Chat {
		header, rows := loadTokenRows(s)
		p.Sections = append(p.Sections, htmlSection{Title: "Tokens", Table: tableOf(header, rows, 1)})
	}
	if s.Conformance.Checked {
		p.Sections = append(p.Sections, htmlSection{Title: "Conformance under load (CHAT clauses, sampled)",
			Table: tableOf([]string{"figure", "value"}, loadConformanceRows(s), 0)})
	}
	if len(s.Keys) > 1 {
		p.Sections = append(p.Sections, htmlSection{Title: "Keys", Table: tableOf(loadKeyHeader, loadKeyRows(s), 1)})
	}
	return p
}

// loadVerdict is the run's outcome in a few words, as the exit code has it.
func loadVerdict(run *LoadRun) string {
	s := &run.Result.Summary
	breached := 0
	for _, t := range run.Thresholds {
		if !t.Pass {
			breached++
		}
	}
	switch {
	case s.Aborted != "":
		return "ABORTED: " + s.Aborted
	case breached > 0:
		return fmt.Sprintf("FAIL: %d of %d thresholds breached", breached, len(run.Thresholds))
	case run.ExitCode != 0 && s.Interrupted:
		return "INTERRUPTED"
	case run.ExitCode != 0:
		return "ERROR: no call got an HTTP answer"
	case len(run.Thresholds) > 0:
		return fmt.Sprintf("PASS: %d thresholds held", len(run.Thresholds))
	}
	return "completed (no thresholds set)"
}

func loadTiles(run *LoadRun) []htmlTile {
	s := &run.Result.Summary
	ok := s.SuccessLatencies
	success := ""
	switch {
	case s.Requests > 0 && s.Successes == s.Requests:
		success = "pass"
	case s.Requests > 0 && 2*s.Successes < s.Requests:
		success = "fail"
	case s.Requests > 0:
		success = "warn"
	}
	tiles := []htmlTile{
		{Label: "requests", Value: loadCount(s.Requests)},
		{Label: "achieved rate (offered " + loadRate(s.OfferedRate) + ")", Value: loadRate(s.Rate)},
		{Label: "success", Value: loadPct(s.Success), Class: success},
		{Label: "p50 of successes", Value: loadTileDur(ok, ok.P50)},
		{Label: "p95 of successes", Value: loadTileDur(ok, ok.P95)},
		{Label: "p99 of successes", Value: loadTileDur(ok, ok.P99)},
		{Label: "429s", Value: loadCount(s.RateLimited), Class: nonZero(s.RateLimited, "warn")},
		{Label: "failures", Value: loadCount(s.Failures), Class: nonZero(s.Failures, "fail")},
	}
	if s.Chat {
		tiles = append(tiles, htmlTile{Label: "output tokens/s", Value: strconv.FormatFloat(s.Tokens.OutputPerSecond, 'f', 1, 64)})
	}
	if s.Missed > 0 {
		tiles = append(tiles, htmlTile{Label: "missed slots", Value: loadCount(s.Missed), Class: "warn"})
	}
	return tiles
}

func loadTileDur(l load.Latencies, d time.Duration) string {
	if l.Count == 0 {
		return "-"
	}
	return loadDur(d)
}

func nonZero(n uint64, class string) string {
	if n == 0 {
		return ""
	}
	return class
}

func timelineBuckets(tl *load.Timeline) []load.TimelineBucket {
	if tl == nil {
		return nil
	}
	return tl.Buckets()
}

// whole leaves out a last slice that the run covered for less than half its
// width (up to until): its calls or tokens per second would read as a fall.
// The tables still count them.
func whole(buckets []load.TimelineBucket, width, until time.Duration) []load.TimelineBucket {
	if n := len(buckets); n > 1 && until-buckets[n-1].Start < width/2 {
		return buckets[:n-1]
	}
	return buckets
}

// bucketSeconds is a timeline's x axis: each bucket's start, in seconds.
func bucketSeconds(buckets []load.TimelineBucket) []float64 {
	x := make([]float64, len(buckets))
	for i, b := range buckets {
		x[i] = b.Start.Seconds()
	}
	return x
}

func msOf(d time.Duration) *float64 {
	if d == 0 {
		return nil
	}
	return num(float64(d) / float64(time.Millisecond))
}

func loadLatencyChart(buckets []load.TimelineBucket) htmlChart {
	series := func(label, color, style string, of func(load.TimelineBucket) time.Duration) htmlSeries {
		v := make([]*float64, len(buckets))
		for i, b := range buckets {
			v[i] = msOf(of(b))
		}
		return htmlSeries{Label: label, Color: color, Style: style, Values: v}
	}
	return htmlChart{
		ID: "latency-over-time", Title: "Latency over time", XLabel: "time since start", YLabel: "latency",
		XFormat: "seconds", YFormat: "ms", X: bucketSeconds(buckets),
		Series: []htmlSeries{
			series("p50", colorP50, "line", func(b load.TimelineBucket) time.Duration { return b.P50 }),
			series("p90", colorP90, "line", func(b load.TimelineBucket) time.Duration { return b.P90 }),
			series("p99", colorP99, "line", func(b load.TimelineBucket) time.Duration { return b.P99 }),
			series("max", colorMax, "dash", func(b load.TimelineBucket) time.Duration { return b.Max }),
			series("429s and failures (mean)", colorFailed, "points", func(b load.TimelineBucket) time.Duration { return b.OtherMean }),
		},
	}
}

// statusColor gives the status families their fixed colours.
func statusColor(code int, i int) string {
	switch {
	case code >= 200 && code < 300:
		return colorOK
	case code == 429:
		return colorLimited
	case code >= 500:
		return colorFailed
	}
	return palette[i%len(palette)]
}

func loadStatusChart(buckets []load.TimelineBucket, width time.Duration) htmlChart {
	perSecond := func(n uint64) *float64 { return num(float64(n) / width.Seconds()) }
	codes, classes := map[int]bool{}, map[string]bool{}
	for _, b := range buckets {
		for c := range b.StatusCodes {
			codes[c] = true
		}
		for c := range b.ErrorClasses {
			// An HTTP status's class says no more than the status does.
			if !strings.HasPrefix(c, "http ") {
				classes[c] = true
			}
		}
	}
	all := make([]*float64, len(buckets))
	for i, b := range buckets {
		all[i] = perSecond(b.Requests)
	}
	series := []htmlSeries{{Label: "all calls", Color: colorMax, Style: "dash", Values: all}}
	for i, code := range load.SortedKeys(codes) {
		v := make([]*float64, len(buckets))
		for j, b := range buckets {
			v[j] = perSecond(b.StatusCodes[code])
		}
		series = append(series, htmlSeries{Label: "status " + loadStatusName(code), Color: statusColor(code, i), Style: "line", Values: v})
	}
	for i, class := range load.SortedKeys(classes) {
		v := make([]*float64, len(buckets))
		for j, b := range buckets {
			if n := b.ErrorClasses[class]; n > 0 { // points only where the class was seen
				v[j] = perSecond(n)
			}
		}
		series = append(series, htmlSeries{Label: "error: " + class, Color: palette[(i+len(codes))%len(palette)], Style: "points", Values: v})
	}
	return htmlChart{ID: "status-over-time", Title: "Status codes and error classes over time", XLabel: "time since start",
		YLabel: "calls per second", XFormat: "seconds", YFormat: "rate", X: bucketSeconds(buckets), Series: series}
}

func loadTokenChart(buckets []load.TimelineBucket, width time.Duration) htmlChart {
	out, in := make([]*float64, len(buckets)), make([]*float64, len(buckets))
	for i, b := range buckets {
		out[i] = num(float64(b.CompletionTokens) / width.Seconds())
		in[i] = num(float64(b.PromptTokens) / width.Seconds())
	}
	return htmlChart{ID: "tokens-over-time", Title: "Tokens per second over time", XLabel: "time since start",
		YLabel: "tokens per second", XFormat: "seconds", YFormat: "tokens", X: bucketSeconds(buckets),
		Series: []htmlSeries{
			{Label: "output (completion) tokens/s", Color: colorOK, Style: "line", Values: out},
			{Label: "prompt tokens/s", Color: colorP50, Style: "dash", Values: in},
		}}
}

func loadDistributionChart(bins []load.LatencyBin) *htmlChart {
	if len(bins) == 0 {
		return nil
	}
	x := make([]float64, len(bins))
	ticks := make([]string, len(bins))
	ok, other := make([]*float64, len(bins)), make([]*float64, len(bins))
	for i, b := range bins {
		x[i] = float64(i)
		ticks[i] = loadDur(b.Lo)
		ok[i], other[i] = num(float64(b.Successes)), num(float64(b.Other))
	}
	return &htmlChart{ID: "latency-distribution", Title: "Latency distribution", XLabel: "latency (bin's lower edge)",
		YLabel: "calls", XFormat: "ticks", YFormat: "count", X: x, XTicks: ticks,
		Series: []htmlSeries{
			{Label: "successes", Color: colorOK, Style: "bars-left", Values: ok},
			{Label: "429s and failures", Color: colorFailed, Style: "bars-right", Values: other},
		}}
}
