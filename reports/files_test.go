package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// renderers are the outputs of a check run; every one must keep keys out.
var renderers = map[string]func(io.Writer, *results.Conformance) error{
	"table": WriteTable, "json": WriteJSON, "junit": WriteJUnit, "markdown": WriteMarkdown, "html": WriteConformanceHTML,
}

func TestNoRendererShowsAFullKey(t *testing.T) {
	c := sampleConformance(false)
	// A key that slipped into a detail, a spec name and the target's userinfo
	// unredacted must still not come out.
	r2 := &c.Clauses[1]
	r2.Detail = "sent " + testKey
	r2.Specs[1].Name += " with " + testKey
	r2.Specs[1].Detail += " (key " + testKey + ")"
	c.Target = "https://user:" + testKey + "@gw.example.internal/staging/ai?key=" + testKey
	for name, write := range renderers {
		var b bytes.Buffer
		if err := write(&b, c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := b.String()
		if strings.Contains(out, testKey) || strings.Contains(out, testKey[4:20]) {
			t.Errorf("%s report holds the key", name)
		}
		if !strings.Contains(out, "cai_…4d5e") {
			t.Errorf("%s report should show the key redacted", name)
		}
		if !strings.Contains(out, "$CARPATHIAN_API_KEY") {
			t.Errorf("%s report lacks the curl command", name)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	jsonPath, junitPath, mdPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.md"), filepath.Join(dir, "r.html")
	if err := os.WriteFile(jsonPath, []byte("old, longer content that must go entirely"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := sampleConformance(false)
	if err := WriteFiles(c, io.Discard, jsonPath, junitPath, mdPath, htmlPath); err != nil {
		t.Fatal(err)
	}
	for path, write := range map[string]func(io.Writer, *results.Conformance) error{jsonPath: WriteJSON, junitPath: WriteJUnit, mdPath: WriteMarkdown, htmlPath: WriteConformanceHTML} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := write(&want, c); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s differs from what the renderer writes", path)
		}
		if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v", path, info.Mode().Perm())
		}
	}
	var parsed results.Conformance
	if data, _ := os.ReadFile(jsonPath); json.Unmarshal(data, &parsed) != nil {
		t.Error("the JSON file does not parse")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("want exactly the four reports, found %d entries (a temp file left?)", len(entries))
	}

	// Only the paths given are written.
	only := t.TempDir()
	if err := WriteFiles(c, io.Discard, "", filepath.Join(only, "j.xml"), "", ""); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(only); len(entries) != 1 {
		t.Errorf("%d files written for one path", len(entries))
	}
}

func TestWriteFilesUnwritableNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir", "report.json")
	err := WriteFiles(sampleConformance(false), io.Discard, missing, "", "", "")
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "JSON report") ||
		!strings.Contains(err.Error(), "no such file or directory") || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("error %v", err)
	}
	err = WriteFiles(sampleConformance(false), io.Discard, "", "", "", dir) // a directory as the path
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "directory") {
		t.Errorf("error %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed writes left %d entries", len(entries))
	}
}

func TestWriteFilesDashIsStdout(t *testing.T) {
	c := sampleConformance(false)
	var stdout, want bytes.Buffer
	if err := WriteFiles(c, &stdout, "-", "", "", ""); err != nil {
		t.Fatal(err)
	}
	WriteJSON(&want, c)
	if !bytes.Equal(stdout.Bytes(), want.Bytes()) {
		t.Error("--json - did not put the JSON report on stdout")
	}
}
