package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// TestRealTime runs against the reference server on the wall clock, with short
// windows, each algorithm in parallel: real latencies and timer jitter.
func TestRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("real time: about 5s")
	}
	limit := target.Limit{N: 20, Window: 2 * time.Second}
	want := map[fixtures.Algorithm]string{fixtures.FixedWindow: FixedWindow, fixtures.SlidingWindow: SlidingLog, fixtures.TokenBucket: TokenBucket}
	latencies := map[string]fixtures.Latency{"": {}, "/slow": {Base: 5 * time.Millisecond, Jitter: 20 * time.Millisecond}}
	for alg, fam := range want {
		for name, lat := range latencies {
			t.Run(string(alg)+name, func(t *testing.T) {
				t.Parallel()
				srv, err := fixtures.Start(fixtures.WithRateLimit(limit), fixtures.WithAlgorithm(alg), fixtures.WithLatency(lat))
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				caller := NewTargetCaller(target.NewClient(srv.Root()), []string{srv.Keys().Valid}, nil)
				// A fresh server is idle: the quiet period is only time.
				f := Run(context.Background(), caller, Config{Expect: limit, Tolerance: 1, SkipQuiet: true})
				// On the wall clock a stalled machine spreads the burst (tens of
				// ms at a load of 30 on 2 cores), which can leave a fixed window
				// and a sliding log both fitting the probes: the tool must then
				// say so ("A or B" with the true family among them), never
				// name a wrong family, a wrong limit or a failing verdict. That
				// each family is told apart exactly is proved on a fake clock
				// (TestFingerprintsEachAlgorithm).
				fp := f.Fingerprint
				if !fp.has(fam) || (fp.Algorithm != fam && len(fp.Candidates) != 2) || abs(f.MeasuredLimit-limit.N) > 1 || f.Verdict != VerdictPass {
					t.Errorf("%s: fingerprint %q (candidates %v) limit %d verdict %s (%s); want %s (or it and one other), 20\n%s",
						alg, fp.Algorithm, fp.Candidates, f.MeasuredLimit, f.Verdict, f.VerdictDetail, fam, lines(f.Evidence))
				}
				if fp.Algorithm != fam {
					t.Logf("%s: the machine's stalls left %q undecided", alg, fp.Algorithm)
				}
				t.Logf("%s: %s, limit %d, %d calls in %s\n%s%s", alg, f.Fingerprint.Algorithm, f.MeasuredLimit, f.CallsSpent, f.Finished.Sub(f.Started).Round(time.Millisecond), lines(f.Evidence), callLogMs(f))
			})
		}
	}
}

func callLogMs(f *Findings) string {
	out := ""
	t0 := f.Calls[0].Sent
	for _, c := range f.Calls {
		if c.Phase == PhaseBurst && c.Accepted() {
			continue
		}
		out += "  " + c.Sent.Sub(t0).Round(time.Millisecond/10).String() + " +" + c.Latency.Round(time.Microsecond).String() + " " + string(c.Phase) + " " + itoa(c.Status) + " v" + itoa(c.Volley) + "\n"
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
