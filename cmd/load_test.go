package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// countingServer is the reference server behind a counter of the calls it got.
func countingServer(t *testing.T) (baseURL, key string, calls *atomic.Int64) {
	t.Helper()
	return callingServer(t, func(int64) {})
}

// callingServer is countingServer calling onCall with each call's number as
// it arrives, before serving it.
func callingServer(t *testing.T, onCall func(n int64)) (baseURL, key string, calls *atomic.Int64) {
	t.Helper()
	srv, err := fixtures.New(fixtures.WithRateLimit(target.Limit{N: 1 << 30, Window: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	calls = new(atomic.Int64)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		onCall(calls.Add(1))
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/ai/v1", srv.Keys().Valid, calls
}

func TestLoadThresholdBreachedExits4AfterReport(t *testing.T) {
	base, key, calls := countingServer(t)
	dir := t.TempDir()
	jsonPath, page := filepath.Join(dir, "summary.json"), filepath.Join(dir, "load.html")
	code, out, errOut := runCommandCtx(context.Background(), "load", "--base-url", base, "--api-key", key, "--rate", "50/s", "--duration", "400ms",
		"--threshold", "p99<1ns", "--threshold", "success>=99%", "--json", jsonPath, "--html", page)
	if code != ExitThreshold {
		t.Fatalf("exit %d, want 4; stderr %q", code, errOut)
	}
	if calls.Load() == 0 || !strings.Contains(out, "Load plan") || !strings.Contains(out, "Thresholds") || !strings.Contains(out, "FAIL") {
		t.Errorf("%d calls; stdout:\n%s", calls.Load(), out)
	}
	if strings.Contains(out+errOut, key) {
		t.Error("the key was printed in full")
	}
	var doc map[string]any
	b, err := os.ReadFile(jsonPath)
	if err != nil || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("JSON summary: %v", err)
	}
	if c, ok := doc["conformance"].(map[string]any); !ok || c["sampled"] == float64(0) || c["violating"] != float64(0) {
		t.Errorf("conformance under load against the reference server: %v", doc["conformance"])
	}
	// The server also saw the one preflight models call of the key.
	if doc["exit_code"] != float64(4) || doc["requests"] != float64(calls.Load()-1) {
		t.Errorf("summary exit_code %v requests %v (server saw %d, one of them the preflight)", doc["exit_code"], doc["requests"], calls.Load())
	}
	readPage(t, page, `"id":"latency-over-time"`, `"id":"status-over-time"`, `"id":"tokens-over-time"`, `"id":"latency-distribution"`,
		"FAIL: 1 of 2 thresholds breached", "p99&lt;1ns")
}

func TestLoadPassingThresholdsExit0(t *testing.T) {
	base, key, _ := countingServer(t)
	code, out, errOut := runCommandCtx(context.Background(), "load", "--base-url", base, "--api-key", key, "--rate", "40/s", "--duration", "300ms",
		"--threshold", "success>=99%", "--threshold", "errors==0", "--path", "models")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr %q\n%s", code, errOut, out)
	}
}

// Bad input is a usage error found before a single call goes out.
func TestLoadUsageErrorsSendNothing(t *testing.T) {
	base, key, calls := countingServer(t)
	cases := map[string][]string{
		"unknown threshold":          {"--threshold", "p98<2s"},
		"malformed threshold":        {"--threshold", "p99 below 2s"},
		"bad abort":                  {"--abort-on", "p99>1s for 10s"},
		"over max-calls":             {"--rate", "100/s", "--duration", "2s", "--max-calls", "50"},
		"over token budget":          {"--rate", "10/s", "--duration", "1s", "--max-tokens", "100", "--max-tokens-budget", "500"},
		"unbounded tokens":           {"--max-tokens", "0"},
		"bad path":                   {"--path", "/v2/chat"},
		"conflicting profile":        {"--steps", "5/s@1s", "--rate", "2/s"},
		"bad arrivals":               {"--arrivals", "bursty"},
		"unwritable output":          {"--output", "/nonexistent-dir/x.bin"},
		"missing prompts":            {"--prompts-file", "/nonexistent-file"},
		"bad prompt tokens":          {"--prompt-tokens", "gamma:5,1"},
		"prompt-tokens and --prompt": {"--prompt-tokens", "50", "--prompt", "hi"},
		"bad max tokens":             {"--max-tokens", "normal:16"},
		"bad header":                 {"--header", "no colon"},
		"authorization header":       {"--header", "Authorization: Bearer x"},
		"missing CA file":            {"--ca-cert", "/nonexistent-ca.pem"},
		"bad hist":                   {"--hist", "10ms,5ms"},
		"unknown p99.8":              {"--threshold", "p99.8<2s"},
	}
	for name, extra := range cases {
		args := append([]string{"--base-url", base, "--api-key", key, "--duration", "200ms"}, extra...)
		code, _, errOut := runCommandCtx(context.Background(), "load", args...)
		if code != ExitUsage || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || errOut == "" {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line", name, code, errOut)
		}
	}
	if code, _, _ := runCommandCtx(context.Background(), "load", "--api-key", key); code != ExitUsage {
		t.Errorf("no --base-url: exit %d", code)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("usage errors sent %d calls", n)
	}
	// --yes lifts the --max-calls refusal.
	code, _, errOut := runCommandCtx(context.Background(), "load", "--base-url", base, "--api-key", key, "--rate", "100/s", "--duration", "300ms", "--max-calls", "5", "--yes", "--path", "models")
	if code != ExitOK || calls.Load() < 20 {
		t.Errorf("--yes: exit %d after %d calls, stderr %q", code, calls.Load(), errOut)
	}
}

// Ctrl-C stops sending, still writes every output, and exits 3. The Ctrl-C
// comes with the run's fifth call (the first is the preflight), not after a
// wall-clock delay that a slow machine may spend before the run starts.
func TestLoadInterruptStillWritesOutputs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, key, calls := callingServer(t, func(n int64) {
		if n == 6 {
			cancel()
		}
	})
	dir := t.TempDir()
	bin, html, js := filepath.Join(dir, "r.bin"), filepath.Join(dir, "p.html"), filepath.Join(dir, "s.json")
	start := time.Now()
	code, out, errOut := runCommandCtx(ctx, "load", "--base-url", base, "--api-key", key, "--rate", "50/s", "--duration", "30s",
		"--output", bin, "--html", html, "--json", js)
	// Far short of the 30 s asked for (loose: a loaded machine is slow to
	// write the reports).
	if code != ExitErrors || time.Since(start) > 15*time.Second {
		t.Fatalf("exit %d after %s; stderr %q", code, time.Since(start), errOut)
	}
	if !strings.Contains(out, "interrupted") {
		t.Errorf("report does not say interrupted:\n%s", out)
	}
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, dec := 0, vegeta.NewDecoder(f)
	for dec.Decode(&vegeta.Result{}) == nil {
		n++
	}
	if n < 5 || int64(n) != calls.Load()-1 {
		t.Errorf("binary output holds %d results, the server saw %d calls (one the preflight)", n, calls.Load())
	}
	for _, p := range []string{html, js} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", p, err)
		}
	}
}

// A target that does not answer, or refuses the key, is found by one models
// call before the run, not by a whole run of failures.
func TestLoadPreflight(t *testing.T) {
	base, _, calls := countingServer(t)
	code, _, errOut := runCommandCtx(context.Background(), "load", "--base-url", base, "--api-key", "cai_00000000000000000000000000000000", "--duration", "5s")
	if code != ExitUsage || !strings.Contains(errOut, "refused (401)") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || calls.Load() != 1 {
		t.Errorf("a refused key: exit %d after %d calls, stderr %q; want 2 after the one preflight call", code, calls.Load(), errOut)
	}
	hs := httptest.NewServer(http.NotFoundHandler())
	closed := hs.URL
	hs.Close()
	code, out, errOut := runCommandCtx(context.Background(), "load", "--base-url", closed+"/ai/v1", "--api-key", "cai_00000000000000000000000000000000", "--duration", "5s")
	if code != ExitErrors || !strings.Contains(errOut, "did not answer") || strings.Contains(out, "successes") {
		t.Errorf("an unreachable target: exit %d, stderr %q, stdout %q; want 3 before any run", code, errOut, out)
	}
}

// --header reaches the target on every call (the preflight included) and is
// never printed; --prompt-tokens sends that many words; --hist and p99.9
// show in the report.
func TestLoadHeadersSyntheticPromptsAndHist(t *testing.T) {
	srv, err := fixtures.New(fixtures.WithRateLimit(target.Limit{N: 1 << 30, Window: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	var withHeader, without atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Gateway") == "secret-staging-token" {
			withHeader.Add(1)
		} else {
			without.Add(1)
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	defer hs.Close()
	jsonPath := filepath.Join(t.TempDir(), "s.json")
	code, out, errOut := runCommandCtx(context.Background(), "load", "--base-url", hs.URL+"/ai/v1", "--api-key", srv.Keys().Valid,
		"--rate", "50/s", "--duration", "400ms", "--header", "X-Gateway: secret-staging-token", "--prompt-tokens", "uniform:30,10",
		"--max-tokens", "normal:20,5", "--hist", "0,1ms,10ms,100ms", "--threshold", "p99.9<10s", "--json", jsonPath)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if withHeader.Load() < 2 || without.Load() != 0 {
		t.Errorf("%d calls with the header, %d without", withHeader.Load(), without.Load())
	}
	if strings.Contains(out+errOut, "secret-staging-token") {
		t.Error("the header's value was printed")
	}
	for _, want := range []string{"requested prompt", "requested max_tokens", "p99.9", "Bucket", "[10ms,", "+Inf]"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	var doc struct {
		Tokens struct {
			Prompt    struct{ Mean float64 } `json:"prompt_per_call"`
			Requested struct{ Mean float64 } `json:"requested_prompt_per_call"`
		}
	}
	b, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(b, &doc); err != nil || doc.Tokens.Prompt.Mean < 20 || doc.Tokens.Prompt.Mean != doc.Tokens.Requested.Mean {
		t.Errorf("served prompt mean %v, requested %v (%v)", doc.Tokens.Prompt.Mean, doc.Tokens.Requested.Mean, err)
	}
}

// Every command that sends takes the connection flags, and refuses bad ones
// with one line and exit 2 before sending.
func TestConnectionFlagsOnEveryCommand(t *testing.T) {
	for _, command := range []string{"check", "load", "ratelimit", "capacity"} {
		args := []string{"--base-url", "http://127.0.0.1:1/ai/v1", "--api-key", "cai_unusedkey0001"}
		if command == "capacity" {
			args = append(args, "--slo", "p99.9<2s,not_completions==0")
		}
		for _, bad := range [][]string{{"--header", "X-Bad"}, {"--ca-cert", "/nonexistent-ca.pem"}} {
			code, _, errOut := runCommandCtx(context.Background(), command, append(args, bad...)...)
			if code != ExitUsage || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("%s %v: exit %d, stderr %q; want 2 and one line", command, bad, code, errOut)
			}
		}
	}
}
