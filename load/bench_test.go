package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Benchmarks for `make bench`: maximum request rate and CPU per request,
// ours (carpathian-conform load --in-flight N) against the vegeta CLI
// (vegeta attack -rate=0 -max-workers N), both as child processes against
// the same in-process reference server on the models path; and peak heap at
// 10^4 and 10^6 requests.

const (
	benchInFlight = 32
	benchDuration = 5 * time.Second
)

func vegetaBinary(b *testing.B) string {
	if p, err := exec.LookPath("vegeta"); err == nil {
		return p
	}
	out, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(string(trimNL(out)), "bin", "vegeta")
	if _, err := os.Stat(p); err != nil {
		b.Skip("vegeta CLI not found: run `go install github.com/tsenart/vegeta/v12@v12.13.0`")
	}
	return p
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// childCPU runs cmd and returns its user+system CPU time.
func childCPU(b *testing.B, cmd *exec.Cmd) time.Duration {
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			b.Fatalf("%s: %v", cmd.Path, err)
		}
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func BenchmarkMaxRate(b *testing.B) {
	vegetaBin := vegetaBinary(b)
	dir := b.TempDir()
	ours := filepath.Join(dir, "carpathian-conform")
	build := exec.Command("go", "build", "-o", ours, "./cmd/carpathian-conform")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the CLI: %v\n%s", err, out)
	}
	srv := startServer(b)
	key := srv.Keys().Valid
	url := srv.Root().URL(target.PathModels)
	secs := benchDuration.Seconds()

	b.Run("carpathian-conform", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			js := filepath.Join(dir, "ours.json")
			cpu := childCPU(b, exec.Command(ours, "load", "--base-url", srv.BaseURL(), "--api-key", key, "--path", "models",
				"--in-flight", strconv.Itoa(benchInFlight), "--duration", benchDuration.String(), "--yes", "--json", js))
			raw, err := os.ReadFile(js)
			if err != nil {
				b.Fatal(err)
			}
			var doc struct{ Requests uint64 }
			if err := json.Unmarshal(raw, &doc); err != nil || doc.Requests == 0 {
				b.Fatalf("summary: %v (%d requests)", err, doc.Requests)
			}
			b.ReportMetric(float64(doc.Requests)/secs, "req/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(doc.Requests), "cpu-µs/req")
		}
	})
	b.Run("vegeta-cli", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			targets := filepath.Join(dir, "targets.txt")
			if err := os.WriteFile(targets, []byte(fmt.Sprintf("GET %s\nAuthorization: Bearer %s\n", url, key)), 0o600); err != nil {
				b.Fatal(err)
			}
			out := filepath.Join(dir, "vegeta.bin")
			cpu := childCPU(b, exec.Command(vegetaBin, "attack", "-rate=0", "-max-workers="+strconv.Itoa(benchInFlight),
				"-duration="+benchDuration.String(), "-targets="+targets, "-output="+out))
			n := countResults(b, out)
			b.ReportMetric(float64(n)/secs, "req/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/req")
		}
	})
}

func countResults(b *testing.B, path string) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n, dec := 0, vegeta.NewDecoder(f)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				b.Fatal(err)
			}
			return n
		}
		n++
	}
}

// BenchmarkPeakMemory: the heap must not grow with the request count, since
// results stream into fixed-size histograms and sinks.
func BenchmarkPeakMemory(b *testing.B) {
	srv := startServer(b)
	for _, calls := range []int64{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("requests=%d", calls), func(b *testing.B) {
			if calls > 100_000 && testing.Short() {
				b.Skip("10^6 requests only without -short")
			}
			for i := 0; i < b.N; i++ {
				runtime.GC()
				_, stop := samplePeakHeap()
				p := must(Closed(benchInFlight, time.Hour))
				plan := Plan{Root: srv.Root(), Path: "models", Keys: []string{srv.Keys().Valid}, Profile: p, MaxCalls: calls}
				// A binary output to io.Discard: encoding included, nothing kept.
				res, err := Run(context.Background(), plan, WithSinks(BinaryOutput(io.Discard)))
				heap := stop()
				if err != nil {
					b.Fatal(err)
				}
				if res.Summary.Requests != uint64(calls) {
					b.Fatalf("%d requests, want %d", res.Summary.Requests, calls)
				}
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
				b.ReportMetric(res.Summary.Rate, "req/s")
			}
		})
	}
}

// samplePeakHeap samples live heap objects every 5 ms until stopped.
func samplePeakHeap() (peak *atomic.Uint64, stop func() uint64) {
	peak = new(atomic.Uint64)
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return peak, func() uint64 { close(done); <-finished; return peak.Load() }
}
