package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ScreenshotsEnv names a directory where the browser test saves a full-page
// PNG of each report, to look at.
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
  return out;
})()`

// minDataPixels: a chart with fewer pixels in its series' colours drew no
// data worth the name.
const minDataPixels = 30

// Every report opens in headless Chromium from file:// with no console
// error, no exception and no network request, and every chart it should
// have is drawn with data in it.
func TestHTMLPagesInBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium found (/usr/bin/chromium, chromium or google-chrome on PATH, or $CHROMIUM): apt-get install chromium")
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
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
	for name, page := range htmlPages(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".html")
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
			// The listener sees every event from the tab's start: runtime, log
			// and network are enabled by chromedp.
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
							args = append(args, string(a.Value)+a.Description)
						}
						problem("console %s: %s", ev.Type, strings.Join(args, " "))
					}
				case *cdplog.EventEntryAdded:
					if l := ev.Entry.Level; l == cdplog.EntryLevelError || l == cdplog.EntryLevelWarning {
						problem("browser log %s: %s %s", l, ev.Entry.Text, ev.Entry.URL)
					}
				case *network.EventRequestWillBeSent:
					if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
						problem("network request: %s", u)
					}
				}
			}))
			defer closeTab()
			want, _ := json.Marshal(append([]string{}, htmlCharts[name]...))
			err := chromedp.Do(tab, chromedp.Navigate("file://"+path), chromedp.WaitReady(chromedp.CSS("footer")))
			if err != nil {
				t.Fatalf("opening the page: %v", err)
			}
			got, err := chromedp.Run(tab, chromedp.Evaluate[pageCheck](fmt.Sprintf(checkScript, want)))
			if err != nil {
				t.Fatalf("inspecting the page: %v", err)
			}
			mu.Lock()
			for _, p := range problems {
				t.Error(p)
			}
			mu.Unlock()
			if len(got.Drawn) != len(htmlCharts[name]) {
				t.Errorf("charts drawn: %v, want %v", got.Drawn, htmlCharts[name])
			}
			for _, id := range htmlCharts[name] {
				switch c := got.Charts[id]; {
				case !c.Present:
					t.Errorf("chart %s: missing", id)
				case !c.Canvas:
					t.Errorf("chart %s: no canvas drawn", id)
				case c.Data < minDataPixels:
					t.Errorf("chart %s: empty: %d pixels painted, %d of them data (per series %v)", id, c.Painted, c.Data, c.Series)
				}
			}
			if name == "check" && (got.Open == 0 || got.Closed == 0 || got.Curls == 0) {
				t.Errorf("check page: %d clauses open, %d closed, %d curl commands shown; want FAIL/WARN open with their curl, the rest closed", got.Open, got.Closed, got.Curls)
			}
			if shots != "" {
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				if err == nil {
					err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
				}
				if err != nil {
					t.Errorf("screenshot: %v", err)
				}
			}
		})
	}
	t.Logf("%s: four pages checked in %s", browser, time.Since(started).Round(time.Millisecond))
}
