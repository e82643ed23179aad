package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ScreenshotsEnv names a directory where the browser test saves each report
// and a full-page PNG of it, to look at.
const ScreenshotsEnv = "CARPATHIAN_HTML_SCREENSHOTS"

// findBrowser is Chromium where Debian's package puts it, or a Chromium or
// Chrome on PATH; CHROMIUM names another.
func findBrowser() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// pageCheck is what the browser saw of one chart and of the page.
type pageCheck struct {
	Drawn  []string                `json:"drawn"`
	Charts map[string]chartPainted `json:"charts"`
	Open   int                     `json:"openDetails"`
	Closed int                     `json:"closedDetails"`
	Curls  int                     `json:"visibleCurls"`
	Images int                     `json:"images"` // no report has one: an image is markup that came from data
}

type chartPainted struct {
	Present bool           `json:"present"`
	Canvas  bool           `json:"canvas"`
	Painted int            `json:"painted"`   // pixels painted at all (axes, grid, data)
	Data    int            `json:"dataMarks"` // pixels in a series' colour: data drawn
	Series  map[string]int `json:"series"`    // data pixels per series label
}

// checkScript inspects a loaded page: for each chart expected, whether its
// place and canvas exist and how many pixels carry a series' colour (axes
// and grid are grey, so only data marks count).
const checkScript = `(() => {
  const want = %s;
  const el = document.getElementById("chart-data");
  const specs = el ? (JSON.parse(el.textContent) || []) : [];
  const rgb = h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
  const out = {drawn: window.carpathianCharts || [], charts: {}};
  for (const id of want) {
    const r = {present: false, canvas: false, painted: 0, dataMarks: 0, series: {}};
    out.charts[id] = r;
    const box = document.getElementById(id);
    const spec = specs.find(s => s.id === id);
    if (!box || !spec) continue;
    r.present = true;
    const c = box.querySelector("canvas");
    if (!c || !c.width || !c.height) continue;
    r.canvas = true;
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const colours = spec.series.map(s => ({label: s.label, c: rgb(s.color)}));
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      r.painted++;
      if (d[i + 3] < 200) continue;
      for (const s of colours) {
        if (Math.abs(d[i] - s.c[0]) <= 6 && Math.abs(d[i + 1] - s.c[1]) <= 6 && Math.abs(d[i + 2] - s.c[2]) <= 6) {
          r.dataMarks++;
          r.series[s.label] = (r.series[s.label] || 0) + 1;
          break;
        }
      }
    }
  }
  out.openDetails = document.querySelectorAll("details[open]").length;
  out.closedDetails = document.querySelectorAll("details:not([open])").length;
  out.visibleCurls = [...document.querySelectorAll("pre.curl")].filter(p => p.offsetHeight > 0).length;
  out.images = document.images.length;
  return out;
})()`

// minDataPixels: a chart with fewer pixels in its series' colours drew no
// data worth the name.
const minDataPixels = 30

// Every report opens in headless Chromium from file:// with no console
// error, no exception and no network request, and every chart it should
// have is drawn with data in it. A broken page shows the check can fail.
func TestHTMLPagesInBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium found (/usr/bin/chromium, chromium or google-chrome on PATH, or $CHROMIUM): apt-get install chromium")
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	browserCtx, closeBrowser := chromedp.NewContext(alloc)
	defer closeBrowser()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	shots := os.Getenv(ScreenshotsEnv)
	dir := t.TempDir()
	pages := htmlPages(t)
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			shot := ""
			if shots != "" {
				shot = filepath.Join(shots, name+".png")
				if err := os.WriteFile(filepath.Join(shots, name+".html"), page, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range openInBrowser(t, browserCtx, filepath.Join(dir, name+".html"), page, htmlCharts[name], shot) {
				t.Error(p)
			}
		})
	}
	t.Run("a broken page fails", func(t *testing.T) {
		// The load page with a chart whose data is all gaps, an error on the
		// console, an exception and an image from the network.
		run, tl := htmlLoadSample(t)
		p := loadPage(run, tl, "v-test")
		for i := range p.Charts {
			if p.Charts[i].ID == "tokens-over-time" {
				for j := range p.Charts[i].Series {
					p.Charts[i].Series[j].Values = make([]*float64, len(p.Charts[i].X))
				}
			}
		}
		var b bytes.Buffer
		if err := writeHTML(&b, p); err != nil {
			t.Fatal(err)
		}
		page := strings.Replace(b.String(), "</body>", `<script>console.error("boom")</script><script>throw new Error("kaput")</script><img src="http://127.0.0.1:9/x.png"></body>`, 1)
		problems := strings.Join(openInBrowser(t, browserCtx, filepath.Join(dir, "broken.html"), []byte(page), htmlCharts["load"], ""), "\n")
		for _, want := range []string{"console error: boom", "JS exception", "kaput", "network request: http://127.0.0.1:9/x.png", "chart tokens-over-time: empty", "1 <img>"} {
			if !strings.Contains(problems, want) {
				t.Errorf("the check missed %q; it found:\n%s", want, problems)
			}
		}
	})
	t.Run("a hostile chart label stays text", func(t *testing.T) {
		var b bytes.Buffer
		if err := writeHTML(&b, hostileChartPage(t)); err != nil {
			t.Fatal(err)
		}
		for _, p := range openInBrowser(t, browserCtx, filepath.Join(dir, "hostile.html"), b.Bytes(), htmlCharts["load"], "") {
			t.Error(p)
		}
	})
	t.Logf("%s: %d pages checked in %s", browser, len(pages)+2, time.Since(started).Round(time.Millisecond))
}

// openInBrowser opens a page in a new tab of the browser and returns what
// is wrong with it: an exception, a console error or warning, a browser log
// error, a request to the network, a chart of wantCharts missing or empty, a
// check page without open evidence. It saves a screenshot when shot is set.
func openInBrowser(t *testing.T, browserCtx context.Context, path string, page []byte, wantCharts []string, shot string) []string {
	t.Helper()
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var problems []string
	problem := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, a...))
	}
	// The listener sees every event from the tab's start: runtime, log and
	// network are enabled by chromedp.
	var tab context.Context
	tab, closeTab := chromedp.NewContext(browserCtx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			problem("JS exception at %d:%d: %s", d.LineNumber+1, d.ColumnNumber+1, msg)
		case *runtime.EventConsoleAPICalled:
			switch ev.Type {
			case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert, runtime.ConsoleAPICalledTypeWarning:
				var args []string
				for _, a := range ev.Args {
					args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				problem("console %s: %s", ev.Type, strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			if l := ev.Entry.Level; l == cdplog.EntryLevelError || l == cdplog.EntryLevelWarning {
				problem("browser log %s: %s %s", l, ev.Entry.Text, ev.Entry.URL)
			}
		case *cdppage.EventJavascriptDialogOpening:
			// An alert is script that came from data; dismissed, or the page
			// would wait for it until the test times out.
			problem("JS dialog %s: %s", ev.Type, ev.Message)
			go func() {
				_, _ = chromedp.Call(tab, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{})
			}()
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				problem("network request: %s", u)
			}
		}
	}))
	defer closeTab()
	if err := chromedp.Do(tab, chromedp.Navigate("file://"+path), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	want, _ := json.Marshal(append([]string{}, wantCharts...))
	got, err := chromedp.Run(tab, chromedp.Evaluate[pageCheck](fmt.Sprintf(checkScript, want)))
	if err != nil {
		t.Fatalf("inspecting %s: %v", path, err)
	}
	if shot != "" {
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(shot, png, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}
	if len(got.Drawn) != len(wantCharts) {
		problem("charts drawn: %v, want %v", got.Drawn, wantCharts)
	}
	for _, id := range wantCharts {
		switch c := got.Charts[id]; {
		case !c.Present:
			problem("chart %s: missing", id)
		case !c.Canvas:
			problem("chart %s: no canvas drawn", id)
		case c.Data < minDataPixels:
			problem("chart %s: empty: %d pixels painted, %d of them data (per series %v)", id, c.Painted, c.Data, c.Series)
		}
	}
	if got.Images > 0 {
		problem("%d <img> on the page: markup that came from data", got.Images)
	}
	if strings.HasSuffix(path, "check.html") && (got.Open == 0 || got.Closed == 0 || got.Curls == 0) {
		problem("check page: %d clauses open, %d closed, %d curl commands shown; want FAIL/WARN open with their curl, the rest closed", got.Open, got.Closed, got.Curls)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(problems)
}
