package suites_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
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
