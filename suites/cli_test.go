package suites_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// runBinary runs the built binary with a clean environment.
func runBinary(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// Bad input is one line and exit 2, found before any request is sent.
func TestUsageErrorsSendNothing(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	base := srv.URL + "/ai/v1"
	const key = "cai_0123456789abcdef0123"
	cases := map[string][]string{
		"scheme":       {"--base-url", "ftp://host/ai/v1", "--api-key", key},
		"no key":       {"--base-url", base},
		"limit":        {"--base-url", base, "--api-key", key, "--rate-limit", "0/1m"},
		"label filter": {"--base-url", base, "--api-key", key, "--label-filter", "(("},
		"focus":        {"--base-url", base, "--api-key", key, "--focus", "("},
		"max calls":    {"--base-url", base, "--api-key", key, "--max-calls", "5"},
		"empty filter": {"--base-url", base, "--api-key", key, "--label-filter", "clause:NOPE-9"},
		"unknown flag": {"--base-url", base, "--api-key", key, "--colour"},
		"report dir":   {"--base-url", base, "--api-key", key, "--json", t.TempDir() + "/missing/r.json"},
	}
	for name, args := range cases {
		_, stderr, code := runBinary(t, args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, stderr)
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 || strings.Contains(stderr, "\x1b[") {
			t.Errorf("%s: stderr is not one plain line: %q", name, stderr)
		}
		if strings.Contains(stderr, key) {
			t.Errorf("%s: stderr shows the key", name)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

// --list shows every clause's specs and their cost without a request.
func TestListSendsNothing(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	stdout, stderr, code := runBinary(t, "--base-url", srv.URL+"/ai", "--api-key", "cai_0123456789abcdef0123", "--list", "--label-filter", "cost:none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"ROUTE-1", "RATE-5", "SDK-2", "at most", "cost"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--list lacks %q", want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("--list sent %d requests", n)
	}
}

// The user's mistakes are not the target's failures: a key that is no key, a
// base URL with no API behind it and a refused key stop the run with one line
// and exit 2, before any spec.
func TestPreflightStopsTheUsersMistakes(t *testing.T) {
	srv, err := fixtures.Start(fixtures.WithRateLimit(fastLimit))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	valid := srv.Keys().Valid
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"not a key", []string{"--base-url", srv.BaseURL(), "--api-key", "notakey"}, "--api-key is not a Carpathian key"},
		{"a role key not a key", []string{"--base-url", srv.BaseURL(), "--api-key", valid, "--revoked-key", "sk-0123456789"}, "--revoked-key is not"},
		{"no API at the base URL", []string{"--base-url", "http://" + srv.Root().Host() + "/foo", "--api-key", valid}, "no Carpathian AI API at this base URL"},
		{"a refused key", []string{"--base-url", srv.BaseURL(), "--api-key", "cai_00000000000000000000000000000000"}, "was refused (401)"},
	}
	for _, c := range cases {
		stdout, stderr, code := runBinary(t, c.args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line saying %q", c.name, code, stderr, c.want)
		}
		for _, k := range []string{"notakey", "sk-0123456789", valid, "cai_00000000000000000000000000000000"} {
			if strings.Contains(stdout+stderr, k) {
				t.Errorf("%s: the output shows a full key", c.name)
			}
		}
	}
}

// A target that does not answer: one line, the report files with every
// clause an ERROR, exit 3.
func TestUnansweredTargetIsOneLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	report := filepath.Join(t.TempDir(), "report.json")
	_, stderr, code := runBinary(t, "--base-url", "http://"+closed+"/ai", "--api-key", "cai_0123456789abcdef0123", "--json", report)
	if code != 3 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "the target did not answer: http://"+closed+"/ai/v1/chat/completions: cannot connect") {
		t.Fatalf("exit %d, stderr %q; want exit 3 and one line with the cause", code, stderr)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no JSON report: %v", err)
	}
	var conf results.Conformance
	if err := json.Unmarshal(data, &conf); err != nil {
		t.Fatal(err)
	}
	if len(conf.Clauses) != len(contract.Clauses) || conf.ExitCode != 3 {
		t.Fatalf("%d clauses, exit_code %d; want %d, 3", len(conf.Clauses), conf.ExitCode, len(contract.Clauses))
	}
	for _, c := range conf.Clauses {
		if c.Verdict != results.Error || !strings.Contains(c.Detail, "cannot connect") {
			t.Errorf("%s: %s (%s), want ERROR with the cause", c.ID, c.Verdict, c.Detail)
		}
	}
}

// --help states each default once.
func TestHelpStatesTheDefaultOnce(t *testing.T) {
	stdout, _, _ := runBinary(t, "check", "--help")
	if n := strings.Count(stdout, "60/1m"); n != 1 {
		t.Errorf("--help names 60/1m %d times, want once:\n%s", n, stdout)
	}
}
