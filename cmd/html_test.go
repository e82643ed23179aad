package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readPage reads the HTML report a command wrote and checks that it is a
// whole page holding wants (chart IDs, verdicts) and no key in full.
func readPage(t *testing.T, path string, wants ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("--html: %v", err)
	}
	page := string(b)
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
		t.Errorf("--html %s is not a whole page (%d bytes)", path, len(b))
	}
	for _, want := range wants {
		if !strings.Contains(page, want) {
			t.Errorf("--html %s lacks %q", path, want)
		}
	}
	if fullKey.MatchString(page) {
		t.Errorf("--html %s holds a key in full: %s", path, fullKey.FindString(page))
	}
}

// check --html writes the clauses, collapsible, beside the other reports.
func TestCheckHTML(t *testing.T) {
	page := filepath.Join(t.TempDir(), "check.html")
	code, stdout, stderr := runCommand("check", "--label-filter", "area:models", "--html", page)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	readPage(t, page, `<details class="clause"`, "MODELS-1", ">PASS<")
}
