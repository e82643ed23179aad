package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load/capacity"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// oneStep holds one short step: the search's first rate is its last.
var oneStep = []string{"--start-rate", "20/s", "--max-rate", "20/s", "--step-duration", "500ms", "--warmup", "100ms"}

func TestCapacityBadInputExits2BeforeSending(t *testing.T) {
	base, key, calls := countingServer(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--slo", "p95<1s,latency<2s"}, "unknown metric"},
		{[]string{}, "give --slo"},
		{[]string{"--slo", "p95<1s", "--max-rate", "1000/s"}, "more than --max-calls"},
		{[]string{"--slo", "p95<1s", "--max-tokens", "0"}, "unbounded"},
		{[]string{"--slo", "p95<1s", "--warmup", "20s"}, "shorter than the step"},
		{[]string{"--slo", "p95<1s", "--precision", "5"}, "percentage"},
		// At 1/s a 1 s step's one call falls in the 20% warm-up.
		{[]string{"--slo", "p95<1s", "--step-duration", "1s"}, "sends 1 call(s), 0 after its 200ms warm-up, but judging the SLO needs at least 5 after it"},
		{[]string{"--slo", "p95<1s", "--start-rate", "4/s", "--step-duration", "1s"}, "raise --step-duration or --start-rate"},
	} {
		code, _, errOut := runCommand("capacity", append([]string{"--base-url", base, "--api-key", key}, c.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line saying %q", c.args, code, errOut, c.want)
		}
	}
	if code, _, errOut := runCommand("capacity", "--api-key", key, "--slo", "p95<1s"); code != ExitUsage || !strings.Contains(errOut, "without --base-url") {
		t.Errorf("a key without --base-url: exit %d, %q", code, errOut)
	}
	if calls.Load() != 0 {
		t.Errorf("%d calls were sent on bad input", calls.Load())
	}
}

func TestCapacityLowestRateMissingExits4WithOutputs(t *testing.T) {
	base, key, calls := countingServer(t)
	dir := t.TempDir()
	jsonPath, outPath, page := filepath.Join(dir, "capacity.json"), filepath.Join(dir, "calls.bin"), filepath.Join(dir, "capacity.html")
	code, out, errOut := runCommand("capacity", append(oneStep, "--base-url", base, "--api-key", key, "--slo", "p95<1ns,success>=99%",
		"--json", jsonPath, "--output", outPath, "--html", page)...)
	if code != ExitThreshold {
		t.Fatalf("exit %d, want 4; stderr %q", code, errOut)
	}
	for _, want := range []string{"Capacity search", "worst case", "Steps in rate order", "No sustainable rate", "p95<1ns: observed"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "step 1: 20/s") || strings.Contains(out+errOut, key) {
		t.Errorf("stderr %q (a step line wanted, the key never in full)", errOut)
	}
	var doc struct {
		Steps []struct {
			TargetRate float64 `json:"target_rate"`
			Met        bool    `json:"slo_met"`
			Calls      uint64  `json:"calls"`
		} `json:"steps"`
		Answer struct {
			Rate float64 `json:"rate"`
			Stop string  `json:"stop"`
		} `json:"answer"`
		Calls    uint64 `json:"calls"`
		ExitCode int    `json:"exit_code"`
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("JSON: %v", err)
	}
	if len(doc.Steps) != 1 || doc.Steps[0].TargetRate != 20 || doc.Steps[0].Met || doc.Answer.Rate != 0 ||
		doc.ExitCode != 4 || doc.Calls != uint64(calls.Load()) || doc.Answer.Stop == "" {
		t.Errorf("JSON %+v; the server saw %d calls", doc, calls.Load())
	}
	f, err := os.Open(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var n int64
	for {
		var r vegeta.Result
		if dec.Decode(&r) != nil {
			break
		}
		n++
	}
	if n != calls.Load() {
		t.Errorf("--output holds %d results, the server saw %d calls", n, calls.Load())
	}
	readPage(t, page, `"id":"capacity-served"`, `"id":"capacity-latency"`, "NO ANSWER", "No sustainable rate")
}

func TestCapacityFlagsRateLimitedSteps(t *testing.T) {
	srv, err := fixtures.New(fixtures.WithRateLimit(target.Limit{N: 2, Window: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	code, out, errOut := runCommand("capacity", append(oneStep, "--base-url", hs.URL+"/ai/v1", "--api-key", srv.Keys().Valid, "--slo", "success>=99%")...)
	if code != ExitThreshold || !strings.Contains(out, "Rate-limited") || !strings.Contains(out, "more --api-key") || !strings.Contains(out, "no: 429s") {
		t.Errorf("exit %d; stderr %q; stdout:\n%s", code, errOut, out)
	}
}

// The embedded server's report. Its one step is judged on the wall clock,
// so it is set for a loaded machine: at 3/s the served rule's slack (1.5
// calls) absorbs 500 ms of answers held up at the step's end, and the 1 s
// warm-up's answers fill in for a start held up as long; the 100 ms calls
// are far inside the SLO. (The rule itself is proved in load/capacity.)
func TestCapacityEmbeddedServer(t *testing.T) {
	code, out, errOut := runCommand("capacity", "--start-rate", "3/s", "--max-rate", "3/s", "--step-duration", "3s", "--warmup", "1s",
		"--slo", "p95<1s,success>=99%")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr %q\n%s", code, errOut, out)
	}
	intro, _, _ := strings.Cut(out, "\n\n") // word-wrapped
	if intro = strings.Join(strings.Fields(intro), " "); !strings.HasPrefix(intro, "No --base-url") || !strings.Contains(intro, "80 calls/s") {
		t.Errorf("intro %q", intro)
	}
	for _, line := range strings.Split(out+errOut, "\n") {
		if w := len([]rune(line)); w > reports.TableWidth {
			t.Errorf("line %d wide: %q", w, line)
		}
	}
	if !strings.Contains(out, "at least 3/s") || !strings.Contains(out, "Knee: none") {
		t.Errorf("stdout:\n%s", out)
	}
}

// A step not judged (nothing sent after its warm-up) is never a miss (4):
// the search could not conclude (3).
func TestCapacityExitCodes(t *testing.T) {
	for stop, want := range map[capacity.Stop]int{
		capacity.StopNotJudged: ExitErrors, capacity.StopLowestMissed: ExitThreshold, capacity.StopPrecision: ExitOK,
		capacity.StopInterrupted: ExitErrors,
	} {
		if got := capacityExitCode(&capacity.Result{Stop: stop, Steps: []*capacity.Step{{}}}); got != want {
			t.Errorf("%s: exit %d, want %d", stop, got, want)
		}
	}
}

// Ctrl-C stops the search at once, prints what it has and writes the outputs.
// The Ctrl-C comes with the step's fifth call (the first is the preflight),
// not after a wall-clock delay that a slow machine may spend before it.
func TestCapacityInterruptedReportsWhatItHas(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, key, _ := callingServer(t, func(n int64) {
		if n == 6 {
			cancel()
		}
	})
	jsonPath := filepath.Join(t.TempDir(), "capacity.json")
	var out, errb bytes.Buffer
	code := run(Env{Ctx: ctx, Stdout: &out, Stderr: &errb}, []string{"capacity", "--base-url", base, "--api-key", key,
		"--slo", "p95<1s", "--start-rate", "20/s", "--max-rate", "20/s", "--step-duration", "5s", "--json", jsonPath})
	if code != ExitErrors || !strings.Contains(out.String(), "Interrupted") || !strings.Contains(out.String(), "interrupted") {
		t.Errorf("exit %d; stderr %q; stdout:\n%s", code, errb.String(), out.String())
	}
	if _, err := os.Stat(jsonPath); err != nil {
		t.Errorf("no JSON after the interrupt: %v", err)
	}
}
