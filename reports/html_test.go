package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/load/capacity"
	"github.com/carpathian-ai/carpathian-conform/load/ratelimit"
)

// htmlLoadSample is a 20 s chat run at 100/s whose latency climbs half way,
// with 429s, 5xx, timeouts and broken bodies: every chart has something to
// draw. Deterministic (seeded).
func htmlLoadSample(t *testing.T) (*LoadRun, *load.Timeline) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	m := load.NewMetrics(2)
	tl := load.NewTimeline(t0, 20*time.Second)
	body := []byte(`{"id":"c","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":120,"completion_tokens":64,"total_tokens":184}}`)
	for i := range 2000 {
		sent := time.Duration(i) * 10 * time.Millisecond
		base := 80 * time.Millisecond
		if sent > 10*time.Second {
			base = 250 * time.Millisecond
		}
		r := &vegeta.Result{Seq: uint64(i), Code: 200, Timestamp: t0.Add(sent),
			Latency: base + time.Duration(rng.ExpFloat64()*float64(30*time.Millisecond)), BytesIn: uint64(len(body)), BytesOut: 200, Body: body,
			Headers: http.Header{"Content-Type": {"application/json"}}}
		switch {
		case i%97 == 0:
			r.Code, r.Body = 429, nil
		case sent > 14*time.Second && i%23 == 0:
			r.Code, r.Body = 503, nil
		case sent > 16*time.Second && i%31 == 0:
			r.Code, r.Error, r.Body, r.Latency = 0, "Post: context deadline exceeded (Client.Timeout exceeded)", nil, 2*time.Second
		case i%211 == 0:
			r.Body = []byte("<html>gateway</html>") // a 200 that is no completion
		}
		h := &load.Hit{Result: r, KeyIndex: i % 2, BodyIndex: 0}
		h.Classify(false)
		m.Add(h)
		if err := tl.Add(h); err != nil {
			t.Fatal(err)
		}
	}
	p, err := load.Constant(100, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	plan := load.Plan{Root: target.MustParseBaseURL("http://127.0.0.1:8080/ai/v1"), Path: target.PathChat,
		Keys: []string{testKey, "cai_live_0000000000000000000000000000abcd"}, Profile: p}
	s := m.Summary()
	for i := range s.Keys {
		s.Keys[i].Key = target.Redact(plan.Keys[i])
	}
	s.Profile, s.Elapsed, s.OfferedRate, s.Slots = p.String(), 20*time.Second+300*time.Millisecond, 100, 2000
	var results []load.ThresholdResult
	for _, expr := range []string{"p99<300ms", "success>=95%", "rate>=99/s"} {
		th, err := load.ParseThreshold(expr)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, th.Check(&s))
	}
	return &LoadRun{Result: &load.Result{Plan: plan, Summary: s, Started: t0}, Thresholds: results, ExitCode: 4}, tl
}

// htmlRatelimitSample is a fixed window of 10 per 2 s probed like the
// command does: a burst, refused probes, re-admission at the boundary.
func htmlRatelimitSample() *ratelimit.Findings {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var calls []ratelimit.Call
	add := func(ms int, phase ratelimit.Phase, status int) {
		c := ratelimit.Call{Seq: len(calls), Phase: phase, Kind: ratelimit.KindChat, Sent: t0.Add(time.Duration(ms) * time.Millisecond),
			Latency: 20 * time.Millisecond, Status: status, Method: http.MethodPost, URL: "http://127.0.0.1:8080/ai/v1/chat/completions"}
		if status == http.StatusTooManyRequests {
			c.Latency = 2 * time.Millisecond
			c.Header = http.Header{"Retry-After": {"2"}, "X-Ratelimit-Limit": {"10"}, "X-Ratelimit-Remaining": {"0"}}
		}
		calls = append(calls, c)
	}
	add(0, ratelimit.PhaseMarker, 200)
	for i := range 12 {
		status := 200
		if i >= 9 {
			status = 429
		}
		add(100+i*10, ratelimit.PhaseBurst, status)
	}
	for ms := 400; ms < 2000; ms += 400 {
		add(ms, ratelimit.PhaseRefill, 429)
	}
	for i := range 12 {
		status := 200
		if i >= 10 {
			status = 429
		}
		add(2010+i*10, ratelimit.PhaseBoundary, status)
	}
	f := ratelimit.Analyze(calls, ratelimit.Config{Expect: target.Limit{N: 10, Window: 2 * time.Second}, Tolerance: 1})
	f.Target, f.Started, f.Finished = "http://127.0.0.1:8080/ai/v1", t0, t0.Add(2300*time.Millisecond)
	return f
}

// htmlPages renders every page from the samples.
func htmlPages(t *testing.T) map[string][]byte {
	t.Helper()
	pages := map[string][]byte{}
	render := func(name string, write func(*bytes.Buffer) error) {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pages[name] = b.Bytes()
	}
	run, tl := htmlLoadSample(t)
	render("load", func(b *bytes.Buffer) error { return WriteLoadHTML(b, run, tl, "v-test") })
	res := capacityResult(t, capacity.StopPrecision)
	render("capacity", func(b *bytes.Buffer) error {
		return WriteCapacityHTML(b, res, http.MethodPost, "http://127.0.0.1:8080/ai/v1/chat/completions", "v-test", 0)
	})
	render("ratelimit", func(b *bytes.Buffer) error { return WriteRatelimitHTML(b, htmlRatelimitSample(), "v-test") })
	render("check", func(b *bytes.Buffer) error { return WriteConformanceHTML(b, sampleConformance(false)) })
	return pages
}

// htmlCharts are the charts each page must draw (the browser test checks
// each is painted).
var htmlCharts = map[string][]string{
	"load":      {"latency-over-time", "status-over-time", "tokens-over-time", "latency-distribution"},
	"capacity":  {"capacity-served", "capacity-latency"},
	"ratelimit": {"ratelimit-calls", "ratelimit-windows"},
	"check":     nil,
}

// A page loads nothing from anywhere: no src or href to another document,
// no import, no link to a stylesheet. Keys never appear whole.
func TestHTMLPagesAreSelfContained(t *testing.T) {
	external := regexp.MustCompile(`(?i)(\bsrc\s*=|<link\b|@import|\bhref\s*=\s*["']?(https?:|//))`)
	for name, page := range htmlPages(t) {
		t.Run(name, func(t *testing.T) {
			s := string(page)
			if loc := external.FindStringIndex(s); loc != nil {
				t.Errorf("loads something: %q", s[max(0, loc[0]-40):min(len(s), loc[1]+60)])
			}
			if strings.Contains(s, testKey) {
				t.Error("a key appears whole")
			}
			for _, id := range htmlCharts[name] {
				if !strings.Contains(s, fmt.Sprintf(`id="%s"`, id)) || !strings.Contains(s, fmt.Sprintf(`"id":"%s"`, id)) {
					t.Errorf("chart %s: no place on the page or no data", id)
				}
			}
			if htmlCharts[name] == nil && strings.Contains(s, "uPlot") {
				t.Error("a page without charts embeds the chart library")
			}
		})
	}
}

func TestLoadHTMLContent(t *testing.T) {
	s := string(htmlPages(t)["load"])
	for _, want := range []string{
		"FAIL: 1 of 3 thresholds breached", "p99&lt;300ms", "status 503", "error: timeout", "error: " + load.ClassNotCompletion,
		"Latency by outcome", "output tokens/s", "cai_…", "100/s for 20s",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the load page lacks %q", want)
		}
	}
}

func TestCheckHTMLContent(t *testing.T) {
	s := string(htmlPages(t)["check"])
	// FAIL and WARN clauses are open, with their evidence and a curl command
	// that pastes as one; the rest are closed.
	for _, want := range []string{`<details class="clause" open id="clause-ROUTE-2">`, `<details class="clause" id="clause-ROUTE-1">`,
		"Reproduce with curl", "curl ", " \\\n", "404 Not Found", "--revoked-key not given"} {
		if !strings.Contains(s, want) {
			t.Errorf("the check page lacks %q", want)
		}
	}
	if n := strings.Count(s, "<details"); n != len(sampleConformance(false).Clauses) {
		t.Errorf("%d collapsible clauses, want one a clause", n)
	}
}

// Text from a target is shown, never run: in the page and in the chart data.
func TestHTMLEscapesWhatTheTargetSent(t *testing.T) {
	hostile := `</script><script>alert(1)</script><img src=x onerror=alert(2)>`
	c := sampleConformance(false)
	c.Clauses[0].Detail = hostile
	c.Clauses[0].Specs[0].Detail = hostile
	var b bytes.Buffer
	if err := WriteConformanceHTML(&b, c); err != nil {
		t.Fatal(err)
	}
	run, tl := htmlLoadSample(t)
	run.Result.Summary.Errors = append(run.Result.Summary.Errors, hostile)
	run.Result.Summary.ErrorClasses[hostile] = 1
	if err := WriteLoadHTML(&b, run, tl, "v-test"); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script>alert", "<img src=x"} {
		if strings.Contains(b.String(), raw) {
			t.Errorf("the page carries %q unescaped", raw)
		}
	}
}

// A run that made no call (every slot missed, stopped at once) has no chart
// to draw, and its page says so in its tables rather than failing.
func TestLoadHTMLWithoutCalls(t *testing.T) {
	p, err := load.Constant(1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	plan := load.Plan{Root: target.MustParseBaseURL("http://127.0.0.1:8080/ai/v1"), Path: target.PathChat, Keys: []string{testKey}, Profile: p}
	run := &LoadRun{Result: &load.Result{Plan: plan, Summary: load.NewMetrics(1).Summary()}, ExitCode: 3}
	var b bytes.Buffer
	if err := WriteLoadHTML(&b, run, load.NewTimeline(time.Now(), time.Second), "v-test"); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "chart-data") || !strings.Contains(s, "Latency by outcome") {
		t.Error("a page without calls should have its tables and no chart")
	}
}

// hostileLabel would end the chart data's <script> and run an image's
// onerror if it reached the page as markup.
const hostileLabel = `</script><img src=x onerror=alert(1)>`

// hostileChartPage is the load page with hostileLabel as a chart's title,
// a series' label and a mark's label.
func hostileChartPage(t *testing.T) *htmlPage {
	t.Helper()
	run, tl := htmlLoadSample(t)
	p := loadPage(run, tl, "v-test")
	for i := range p.Charts {
		if c := &p.Charts[i]; c.ID == "latency-over-time" {
			c.Title, c.Series[0].Label = hostileLabel, hostileLabel
			c.YMarks = append(c.YMarks, htmlMark{At: 100, Label: hostileLabel, Color: colorMark})
			return p
		}
	}
	t.Fatal("the load page has no latency-over-time chart")
	return nil
}

// The chart data sits in a <script> as JSON: a label cannot end the script
// early, and the page's scripts read it back unchanged.
func TestHTMLChartDataCannotCloseItsScript(t *testing.T) {
	p := hostileChartPage(t)
	var b bytes.Buffer
	if err := writeHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<img") {
		t.Error("the page carries an <img> tag")
	}
	if n := strings.Count(page, "</script"); n != 3 { // chart data, uPlot, app.js
		t.Errorf("%d script ends, want 3: a label closed a script", n)
	}
	start := strings.Index(page, `<script type="application/json" id="chart-data">`)
	if start < 0 {
		t.Fatal("no chart data on the page")
	}
	data := page[start+len(`<script type="application/json" id="chart-data">`):]
	end := strings.Index(data, "</script>")
	if end < 0 {
		t.Fatal("the chart data's script never ends")
	}
	data = data[:end]
	var charts []htmlChart
	if err := json.Unmarshal([]byte(data), &charts); err != nil {
		t.Fatalf("the chart data is not JSON: %v", err)
	}
	var labels int
	for _, c := range charts {
		if c.Title == hostileLabel {
			labels++
		}
		for _, s := range c.Series {
			if s.Label == hostileLabel {
				labels++
			}
		}
		for _, m := range c.YMarks {
			if m.Label == hostileLabel {
				labels++
			}
		}
	}
	if labels != 3 {
		t.Errorf("%d of the 3 hostile labels read back unchanged", labels)
	}
}

// A chart value JSON cannot carry (NaN) fails the page with a clear error
// rather than writing a page whose chart data does not parse.
func TestHTMLChartDataNotANumber(t *testing.T) {
	p := hostileChartPage(t)
	p.Charts[0].X[0] = math.NaN()
	var b bytes.Buffer
	err := writeHTML(&b, p)
	if err == nil || !strings.Contains(err.Error(), "chart data") {
		t.Errorf("got %v, want an error naming the chart data", err)
	}
	if b.Len() != 0 {
		t.Error("a failed page wrote something")
	}
}
