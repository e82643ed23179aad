package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load/ratelimit"
)

// WriteRatelimitHTML writes a rate-limit analysis as one self-contained
// page: the verdict, every served and refused call against the limit, the
// windows and the findings.
func WriteRatelimitHTML(w io.Writer, f *ratelimit.Findings, toolVersion string) error {
	return writeHTML(w, ratelimitPage(f, toolVersion))
}

// WriteRatelimitHTMLFile writes the page to path with WriteFile.
func WriteRatelimitHTMLFile(path string, stdout io.Writer, f *ratelimit.Findings, toolVersion string) error {
	return writeHTMLFile(path, stdout, ratelimitPage(f, toolVersion))
}

func ratelimitPage(f *ratelimit.Findings, toolVersion string) *htmlPage {
	w := f.Expect.Window
	target := safeURL(f.Target)
	if f.Embedded {
		target = "embedded reference server " + target
	}
	p := &htmlPage{
		Kind:  "ratelimit",
		Title: "carpathian-conform ratelimit",
		Meta: []string{
			target,
			fmt.Sprintf("expected %d per %s (tolerance ±%d)", f.Expect.N, w, f.Tolerance),
			fmt.Sprintf("started %s, %s", f.Started.Format(timeLayout), f.Finished.Sub(f.Started).Round(time.Millisecond)),
		},
		Verdict: f.Verdict,
		Footer: fmt.Sprintf("carpathian-conform %s · spent %d calls (%.2f N) and %d tokens", orDash(toolVersion),
			f.CallsSpent, float64(f.CallsSpent)/float64(max(f.Expect.N, 1)), f.Tokens),
	}
	measured := htmlTile{Label: fmt.Sprintf("measured limit per %s (expected %d)", w, f.Expect.N), Value: strconv.Itoa(f.MeasuredLimit), Class: verdictClass(f.Verdict)}
	if f.NoLimit {
		measured.Value = "no limit seen"
	}
	lines := []string{f.Verdict + ": " + f.VerdictDetail}
	if f.Interrupted {
		lines = append(lines, "Interrupted: the figures below are what was measured before the stop.")
	}
	if f.Error != "" {
		lines = append(lines, "Stopped early: "+f.Error)
	}
	p.Sections = append(p.Sections, htmlSection{Title: "Verdict", Lines: lines, Tiles: []htmlTile{
		measured,
		{Label: "burst capacity (served before the first 429)", Value: strconv.Itoa(f.BurstCapacity)},
		{Label: "most served in any " + w.String(), Value: strconv.Itoa(f.SustainedMax)},
		{Label: "algorithm", Value: string(f.Fingerprint.Algorithm)},
		{Label: "calls spent", Value: strconv.Itoa(f.CallsSpent)},
	}})
	if c := ratelimitCallsChart(f); c != nil {
		p.Charts = append(p.Charts, *c)
		p.Sections = append(p.Sections, htmlSection{Title: c.Title, Chart: c.ID,
			Note: fmt.Sprintf("Each chat call on the first key, placed by when it was sent, at the height of how many calls were served in the %s before it; the dashed line is the expected limit.", w)})
	}
	if c := ratelimitWindowChart(f); c != nil {
		p.Charts = append(p.Charts, *c)
		p.Sections = append(p.Sections, htmlSection{Title: c.Title, Chart: c.ID,
			Note: fmt.Sprintf("Chat calls on the first key per window of %s from the first call.", w)})
	}
	findings := tableOf([]string{"finding", "value"}, ratelimitRows(f), 0)
	for _, row := range findings.Rows {
		row[1].Pre = true // the evidence is one statement a line
	}
	p.Sections = append(p.Sections,
		htmlSection{Title: "Findings", Table: findings},
		htmlSection{Title: fmt.Sprintf("Timeline (windows of %s from the first call)", w),
			Table: tableOf([]string{"window", "from", "chat sent", "served", "429", "other", "side probes"}, timelineRows(f), 0)},
	)
	return p
}

// ratelimitCallsChart places each chat call of the first key by its send
// time, at the height of the calls served in the window before it.
func ratelimitCallsChart(f *ratelimit.Findings) *htmlChart {
	var chat []ratelimit.Call
	for _, c := range f.Calls {
		if c.Key == 0 && c.Kind == ratelimit.KindChat {
			chat = append(chat, c)
		}
	}
	if len(chat) == 0 {
		return nil
	}
	slices.SortStableFunc(chat, func(a, b ratelimit.Call) int { return a.Sent.Compare(b.Sent) })
	origin := chat[0].Sent
	n := len(chat)
	x := make([]float64, n)
	window, served, refused, other := make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n)
	inWindow, oldest := 0, 0 // served calls in (c.Sent-W, c.Sent]; the first call still in it
	for i, c := range chat {
		x[i] = c.Sent.Sub(origin).Seconds()
		if c.Accepted() {
			inWindow++
		}
		for ; c.Sent.Sub(chat[oldest].Sent) >= f.Expect.Window; oldest++ {
			if chat[oldest].Accepted() {
				inWindow--
			}
		}
		y := num(float64(inWindow))
		window[i] = y
		switch {
		case c.Accepted():
			served[i] = y
		case c.Refused():
			refused[i] = y
		default:
			other[i] = y
		}
	}
	return &htmlChart{ID: "ratelimit-calls", Title: "Served and refused calls against the limit", XLabel: "time since the first call",
		YLabel: "served in the last " + f.Expect.Window.String(), XFormat: "seconds", YFormat: "count", X: x,
		YMarks: []htmlMark{{At: float64(f.Expect.N), Label: fmt.Sprintf("limit %d per %s", f.Expect.N, f.Expect.Window), Color: colorMark}},
		Series: []htmlSeries{
			{Label: "served in the window", Color: colorP50, Style: "step", Values: window},
			{Label: "served (200)", Color: colorOK, Style: "points", Values: served},
			{Label: "refused (429)", Color: colorLimited, Style: "points", Values: refused},
			{Label: "other", Color: colorFailed, Style: "points", Values: other},
		}}
}

func ratelimitWindowChart(f *ratelimit.Findings) *htmlChart {
	n := len(f.Timeline)
	if n == 0 {
		return nil
	}
	x, ticks := make([]float64, n), make([]string, n)
	served, refused := make([]*float64, n), make([]*float64, n)
	for i, r := range f.Timeline {
		x[i], ticks[i] = float64(i), "+"+r.Start.String()
		served[i], refused[i] = num(float64(r.Accepted)), num(float64(r.Refused))
	}
	return &htmlChart{ID: "ratelimit-windows", Title: "Served and refused per window", XLabel: "window start", YLabel: "calls",
		XFormat: "ticks", YFormat: "count", X: x, XTicks: ticks,
		YMarks: []htmlMark{{At: float64(f.Expect.N), Label: fmt.Sprintf("limit %d", f.Expect.N), Color: colorMark}},
		Series: []htmlSeries{
			{Label: "served (200)", Color: colorOK, Style: "bars-left", Values: served},
			{Label: "refused (429)", Color: colorLimited, Style: "bars-right", Values: refused},
		}}
}
