package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// fakeClock drives the reference server's fake clock: sleeping advances it,
// so a run over several windows takes milliseconds and is deterministic.
type fakeClock struct{ *fixtures.FakeClock }

func (c fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Advance(d)
	}
	return ctx.Err()
}

// t0 is off any round second, as a real run's start would be.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)

// serve starts the reference server on a fake clock and returns a caller for
// its valid keys.
func serve(t *testing.T, clock *fixtures.FakeClock, opts ...fixtures.Option) (*TargetCaller, *fixtures.Server) {
	t.Helper()
	srv, err := fixtures.Start(append([]fixtures.Option{fixtures.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	keys := []string{srv.Keys().Valid, srv.Keys().Second}
	return NewTargetCaller(target.NewClient(srv.Root(), target.WithTimeout(5*time.Second)), keys, fakeClock{clock}), srv
}

func runFake(t *testing.T, limit target.Limit, expect target.Limit, keys int, opts ...fixtures.Option) *Findings {
	t.Helper()
	clock := fixtures.NewFakeClock(t0)
	caller, _ := serve(t, clock, append([]fixtures.Option{fixtures.WithRateLimit(limit)}, opts...)...)
	return Run(context.Background(), caller, Config{Expect: expect, Tolerance: 1, Keys: keys, Clock: fakeClock{clock}})
}

func TestFingerprintsEachAlgorithm(t *testing.T) {
	want := map[fixtures.Algorithm]string{
		fixtures.FixedWindow:   FixedWindow,
		fixtures.SlidingWindow: SlidingLog,
		fixtures.TokenBucket:   TokenBucket,
	}
	for _, limit := range []target.Limit{{N: 20, Window: 4 * time.Second}, {N: 60, Window: time.Minute}, {N: 5, Window: 10 * time.Second}} {
		for alg, fam := range want {
			for _, countRefused := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/count-refused=%v", limit, alg, countRefused)
				t.Run(name, func(t *testing.T) {
					f := runFake(t, limit, limit, 1, fixtures.WithAlgorithm(alg), fixtures.WithCountRefused(countRefused))
					if smallLocked := limit.N < 10 && countRefused && alg != fixtures.FixedWindow; smallLocked {
						// Refused probes keep a small limit exhausted: the analysis
						// must say refused calls count and keep the right model.
						if f.Fingerprint.RefusedCount != "yes" || !f.Fingerprint.has(fam) {
							t.Errorf("refused count %q, candidates %v; want yes and %s among them", f.Fingerprint.RefusedCount, f.Fingerprint.Candidates, fam)
						}
					} else if f.Fingerprint.Algorithm != fam {
						t.Errorf("fingerprint %q, want %q; evidence:\n%s\ncalls:\n%s", f.Fingerprint.Algorithm, fam, lines(f.Evidence), callLog(f))
					}
					if abs(f.MeasuredLimit-limit.N) > 1 {
						t.Errorf("measured limit %d, want %d±1", f.MeasuredLimit, limit.N)
					}
					if f.Verdict != VerdictPass {
						t.Errorf("verdict %s (%s), want PASS", f.Verdict, f.VerdictDetail)
					}
					if max := f.Plan.MaxCalls; f.CallsSpent > max {
						t.Errorf("spent %d calls, planned at most %d", f.CallsSpent, max)
					}
					if d := f.Finished.Sub(f.Started); d > 3*limit.Window+limit.Window/4 {
						t.Errorf("took %s of fake time, more than ~3 windows", d)
					}
					if countRefused && alg != fixtures.FixedWindow && f.Fingerprint.RefusedCount == "no" {
						t.Errorf("refused calls count, but the analysis says no")
					}
					if !countRefused && f.Fingerprint.RefusedCount == "yes" {
						t.Errorf("refused calls do not count, but the analysis says yes")
					}
					t.Logf("%s: %s, limit %d, %d calls (%.2f N), refused count: %s", name, f.Fingerprint.Algorithm, f.MeasuredLimit, f.CallsSpent, float64(f.CallsSpent)/float64(limit.N), f.RefusedCount)
				})
			}
		}
	}
}

func TestExpectHalfOrTwiceFails(t *testing.T) {
	limit := target.Limit{N: 20, Window: 4 * time.Second}
	for _, alg := range fixtures.Algorithms {
		for _, n := range []int{10, 40} {
			t.Run(fmt.Sprintf("%s/expect-%d", alg, n), func(t *testing.T) {
				f := runFake(t, limit, target.Limit{N: n, Window: limit.Window}, 1, fixtures.WithAlgorithm(alg))
				if f.Verdict != VerdictFail {
					t.Errorf("verdict %s (%s), want FAIL against a real limit of 20", f.Verdict, f.VerdictDetail)
				}
			})
		}
	}
}

func lines(ss []string) string {
	out := ""
	for _, s := range ss {
		out += "  " + s + "\n"
	}
	return out
}

func callLog(f *Findings) string {
	out := ""
	t0 := f.Calls[0].Sent
	for _, c := range f.Calls {
		out += fmt.Sprintf("  #%d %-16s key%d v%d +%-8s %d RA=%s\n", c.Seq, c.Phase, c.Key, c.Volley, c.Sent.Sub(t0), c.Status, c.Header.Get("Retry-After"))
	}
	return out
}
