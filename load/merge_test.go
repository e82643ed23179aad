package load

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
)

// runShards runs a profile as n shards at once, each writing its results
// file and metadata into dir, and returns the files.
func runShards(t *testing.T, srv *fixtures.Server, dir string, whole Profile, n int, keys []string) []string {
	t.Helper()
	var wg sync.WaitGroup
	paths := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		sh := Shard{Index: i, Count: n}
		paths[i] = sh.FileName(filepath.Join(dir, "results.bin"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := Sharded(whole, sh)
			if err != nil {
				errs[i] = err
				return
			}
			out, err := FileOutput(paths[i], io.Discard, BinaryOutput)
			if err != nil {
				errs[i] = err
				return
			}
			res, err := Run(context.Background(), chatPlan(srv, p, sh.Keys(keys)...), WithSinks(out),
				WithChecker(CheckerFunc(func([]byte, int, http.Header, []byte) []Violation { return nil }), 10))
			if err != nil {
				errs[i] = err
				return
			}
			b, _ := json.Marshal(NewRunMeta(res, "run-1", time.Time{}))
			errs[i] = os.WriteFile(MetaPath(paths[i]), b, 0o644)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// The merged report of three shards is the report of their results taken
// together: counts add up, percentiles are those of every sample (exact
// nearest-rank, within the histogram's 0.1%), the offered rate is the
// profile's.
func TestMergeShardsIsTheWholeRun(t *testing.T) {
	srv := startServer(t, fixtures.WithLatency(fixtures.Latency{Base: 2 * time.Millisecond, Jitter: 3 * time.Millisecond}))
	keys := []string{srv.Keys().Valid, srv.Keys().Second}
	whole := must(Constant(300, time.Second))
	paths := runShards(t, srv, t.TempDir(), whole, 3, keys)

	files, err := OpenResults(paths[2], paths[0], paths[1])
	if err != nil {
		t.Fatal(err)
	}
	var seen []time.Duration
	res, err := Merge(files, SinkFunc(func(h *Hit) error { seen = append(seen, h.Latency); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary

	var lats []time.Duration
	for _, p := range paths {
		lats = append(lats, readLatencies(t, p)...)
	}
	if s.Requests != uint64(len(lats)) || len(seen) != len(lats) {
		t.Fatalf("merged %d requests (sinks saw %d), the files hold %d", s.Requests, len(seen), len(lats))
	}
	// A shard whose run ends during a stall leaves its last slot uncounted,
	// as a single run does: at most one per shard.
	if s.Slots < 297 || s.Slots > 300 || s.Requests+s.Missed != s.Slots {
		t.Errorf("slots %d, requests %d + missed %d: want the profile's 300", s.Slots, s.Requests, s.Missed)
	}
	if s.OfferedRate < 297 || s.OfferedRate > 300 {
		t.Errorf("offered rate %.2f/s, want 300/s", s.OfferedRate)
	}
	slices.Sort(lats)
	for _, c := range []struct {
		q   float64
		got time.Duration
	}{{0.5, s.Latencies.P50}, {0.9, s.Latencies.P90}, {0.99, s.Latencies.P99}} {
		want := nearestRank(lats, c.q)
		if d := float64(c.got - want); d < -0.001*float64(want) || d > 0.001*float64(want) {
			t.Errorf("p%v %s, over the concatenated results %s", c.q*100, c.got, want)
		}
	}
	if s.Latencies.Max != lats[len(lats)-1] || s.Latencies.Min != lats[0] {
		t.Errorf("min/max %s/%s, concatenated %s/%s", s.Latencies.Min, s.Latencies.Max, lats[0], lats[len(lats)-1])
	}
	if len(s.Keys) != 2 || s.Keys[0].Requests+s.Keys[1].Requests != s.Requests || s.Keys[0].Requests == 0 || s.Keys[1].Requests == 0 {
		t.Errorf("keys %+v", s.Keys)
	}
	if !s.Conformance.Checked || s.Conformance.Sampled == 0 {
		t.Errorf("conformance not merged: %+v", s.Conformance)
	}
	if !strings.Contains(s.Profile, "3 shards merged") || !s.Chat || s.Tokens.WithUsage == 0 {
		t.Errorf("profile %q, chat %v, tokens %+v", s.Profile, s.Chat, s.Tokens)
	}
	if res.Plan.Root.String() != srv.Root().String() {
		t.Errorf("root %s, want %s", res.Plan.Root, srv.Root())
	}

	part, err := OpenResults(paths[0], paths[2])
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Merge(part)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pr.Summary.Profile, "2 of 3 shards merged (missing: 1)") {
		t.Errorf("partial merge profile %q", pr.Summary.Profile)
	}
}

func TestOpenResultsRefusesMixedRuns(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, m RunMeta) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		if err := os.WriteFile(MetaPath(p), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	meta := func(run, root string, i, n int) RunMeta {
		return RunMeta{Schema: SchemaRunMeta, RunID: run, Root: root, Path: "/v1/chat/completions",
			Shard: ShardJSON{Index: i, Count: n}, Keys: []string{"cai_…abcd"}}
	}
	a := write("a.bin", meta("r1", "http://127.0.0.1:1/ai", 0, 2))
	b := write("b.bin", meta("r2", "http://127.0.0.1:1/ai", 1, 2))
	c := write("c.bin", meta("r1", "http://127.0.0.1:2/ai", 1, 2))
	d := write("d.bin", meta("r1", "http://127.0.0.1:1/ai", 0, 2))
	e := write("e.bin", meta("r1", "http://127.0.0.1:1/ai", 1, 3))
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{a, b}, "from run r2"},
		{[]string{a, c}, "targets http://127.0.0.1:2/ai"},
		{[]string{a, d}, "both shard 0/2"},
		{[]string{a, e}, "a shard of 3"},
		{[]string{filepath.Join(dir, "none.bin")}, "has no run metadata"},
	} {
		_, err := OpenResults(c.files...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("OpenResults(%v) = %v, want one line saying %q", c.files, err, c.want)
		}
	}
}

func readLatencies(t *testing.T, path string) []time.Duration {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var out []time.Duration
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Latency)
	}
}

// nearestRank is the q-quantile of sorted values by the nearest-rank
// definition HDR histograms use.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
