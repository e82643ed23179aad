package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two shards run one profile; report merges their files, gates on the
// merged figures (exit 4) and refuses a results file without metadata.
func TestShardsThenReport(t *testing.T) {
	base, key, calls := countingServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "results.bin")
	for _, shard := range []string{"0/2", "1/2"} {
		code, _, errOut := runCommandCtx(context.Background(), "load", "--base-url", base, "--api-key", key,
			"--rate", "100/s", "--duration", "500ms", "--shard", shard, "--output", out, "--run-id", "test-run")
		if code != ExitOK {
			t.Fatalf("load --shard %s: exit %d, %q", shard, code, errOut)
		}
	}
	files := []string{filepath.Join(dir, "results-0of2.bin"), filepath.Join(dir, "results-1of2.bin")}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("no shard file: %v", err)
		}
		if _, err := os.Stat(f + ".meta.json"); err != nil {
			t.Fatalf("no run metadata beside %s: %v", f, err)
		}
	}
	html := filepath.Join(dir, "merged.html")
	code, stdout, errOut := runCommand("report", filepath.Join(dir, "results-*of2.bin"), "--html", html)
	if code != ExitOK || !strings.Contains(stdout, "2 shards merged") {
		t.Fatalf("report: exit %d, %q\n%s", code, errOut, stdout)
	}
	if page, err := os.ReadFile(html); err != nil || !strings.Contains(string(page), "<html") || !strings.Contains(string(page), "2 shards merged") {
		t.Errorf("report --html: %v, %d bytes", err, len(page))
	}
	// 50 slots in all, sent or missed: the shards' 25 each add up.
	if !strings.Contains(stdout, "offered rate") || calls.Load() < 50 {
		t.Errorf("%d calls; report:\n%s", calls.Load(), stdout)
	}
	if code, _, errOut := runCommand("report", "--threshold", "p99<1ns", files[0], files[1]); code != ExitThreshold || !strings.Contains(errOut, "p99<1ns") {
		t.Errorf("report with a breached threshold: exit %d, %q", code, errOut)
	}
	bare := filepath.Join(dir, "bare.bin")
	if err := os.WriteFile(bare, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCommand("report", files[0], bare); code != ExitUsage || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "no run metadata") {
		t.Errorf("report of a file without metadata: exit %d, %q", code, errOut)
	}
}

// A shard that starts after --start-at says by how much and misses the
// slots already due.
func TestLateShardSaysSo(t *testing.T) {
	base, key, _ := countingServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "r.bin")
	start := time.Now().Add(-300 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	code, _, errOut := runCommandCtx(context.Background(), "load", "--base-url", base, "--api-key", key,
		"--rate", "100/s", "--duration", "1s", "--shard", "0/1", "--start-at", start, "--output", out, "--json", filepath.Join(dir, "l.json"))
	if code != ExitOK || !strings.Contains(errOut, "late") || !strings.Contains(errOut, "missed") {
		t.Fatalf("late shard: exit %d, stderr %q", code, errOut)
	}
	b, err := os.ReadFile(out + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"late_by"`) || strings.Contains(string(b), `"missed_slots": 0,`) {
		t.Errorf("metadata of a late shard:\n%s", b)
	}
}

func TestShardFlagsRefuseBadValues(t *testing.T) {
	for _, c := range []struct {
		flag, value, want string
	}{
		{"--shard", "8/8", "--shard"},
		{"--shard", "one", "--shard"},
		{"--start-at", "tomorrow", "--start-at"},
	} {
		code, _, errOut := runCommand("load", "--base-url", "http://127.0.0.1:1/ai/v1", "--api-key", "cai_0000000000000000", c.flag, c.value)
		if code != ExitUsage || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("load %s %s: exit %d, %q", c.flag, c.value, code, errOut)
		}
	}
	code, _, errOut := runCommand("load", "--base-url", "http://127.0.0.1:1/ai/v1", "--api-key", "cai_0000000000000000",
		"--in-flight", "2", "--shard", "0/3")
	if code != ExitUsage || !strings.Contains(errOut, "cannot be split over 3 shards") {
		t.Errorf("2 in flight over 3 shards: exit %d, %q", code, errOut)
	}
}
