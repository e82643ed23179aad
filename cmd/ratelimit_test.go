package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

func TestRatelimitBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--expect", "lots"},
		{"--limit-tolerance", "-1"},
		{"--base-url", "http://127.0.0.1:1/ai/v1"},
		{"--base-url", "http://127.0.0.1:1/ai/v1", "--api-key", "cai_a", "--api-key", "cai_b", "--api-key", "cai_c"},
		{"--base-url", "ftp://x", "--api-key", "cai_a"},
		{"--base-url", "http://127.0.0.1:1/ai/v1", "--api-key", "cai_a", "--algorithm", "token-bucket"},
		{"--json", "/no/such/dir/f.json"},
		{"--max-calls", "10"},
	} {
		code, _, stderr := runCommand("ratelimit", args...)
		if code != ExitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
}

func TestRatelimitEmbedded(t *testing.T) {
	dir := t.TempDir()
	out, js, page := filepath.Join(dir, "r.bin"), filepath.Join(dir, "f.json"), filepath.Join(dir, "r.html")
	code, stdout, stderr := runCommand("ratelimit", "--expect", "10/1s", "--algorithm", "sliding-window", "--output", out, "--json", js, "--html", page)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "No --base-url: analysing the embedded reference server") || !strings.Contains(stdout, "this analysis takes at most") {
		t.Errorf("stdout does not start with the embedded line and the plan:\n%s", stdout)
	}
	for _, want := range []string{"sliding log", "Timeline", "Verdict: PASS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, n := vegeta.NewDecoder(f), 0
	for {
		var r vegeta.Result
		if dec.Decode(&r) != nil {
			break
		}
		n++
	}
	var doc struct {
		CallsSpent  int `json:"calls_spent"`
		Fingerprint struct{ Algorithm string }
	}
	b, err := os.ReadFile(js)
	if err != nil || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("findings JSON: %v", err)
	}
	// On the wall clock a stalled machine can leave a fixed window and a
	// sliding log both fitting ("A or B"); a wrong family never (exact
	// identification is proved on a fake clock in load/ratelimit).
	if alg := doc.Fingerprint.Algorithm; n == 0 || n != doc.CallsSpent || (alg != "sliding log" && alg != "fixed window or sliding log") {
		t.Errorf("%d results in --output, %d calls and %q in --json", n, doc.CallsSpent, doc.Fingerprint.Algorithm)
	}
	for _, s := range []string{stdout, stderr, string(b)} {
		if fullKey.MatchString(s) {
			t.Errorf("a key appears in full: %s", fullKey.FindString(s))
		}
	}
	readPage(t, page, `"id":"ratelimit-calls"`, `"id":"ratelimit-windows"`, ">PASS<", "sliding log")
}

func TestRatelimitExpectMismatchExits1(t *testing.T) {
	limit := target.Limit{N: 10, Window: time.Second}
	srv, err := fixtures.Start(fixtures.WithRateLimit(limit), fixtures.WithAlgorithm(fixtures.TokenBucket))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, stdout, _ := runCommand("ratelimit", "--base-url", srv.BaseURL(), "--api-key", srv.Keys().Valid, "--expect", "20/1s", "--skip-quiet")
	if code != ExitViolation || !strings.Contains(stdout, "Verdict: FAIL") {
		t.Errorf("exit %d, want 1 for a limit of 10 expected as 20:\n%s", code, stdout)
	}
}

// fullKey is a cai_ key not redacted to its last four characters.
var fullKey = regexp.MustCompile(`cai_[0-9A-Za-z]{8,}`)
