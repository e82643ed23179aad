package suites

import (
	"context"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

func TestClauseLabels(t *testing.T) {
	l := parseLabels(Clause("ROUTE-2", CostLow, 3))
	if l.Clause != "ROUTE-2" || l.Level != "must" || l.Area != "route" || l.Cost != CostLow || l.Calls != 3 {
		t.Errorf("labels = %+v", l)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown clause was accepted")
		}
	}()
	Clause("NOPE-1", CostNone, 1)
}

// The RATE gathering against the reference server, without Ginkgo: one try
// (quiet, burst, other paths, SDK), then the Retry-After promise probed, each
// judged by internal/judge. Short windows keep it near four seconds.
func TestRateTryAgainstTheReference(t *testing.T) {
	limit := target.Limit{N: 10, Window: 2 * time.Second} // a token every 200 ms: a busy machine still tells a path outside the limit
	cases := []struct {
		name                 string
		opts                 []fixtures.Option
		over, shared, honest bool // the judgement holds
	}{
		{"reference", nil, true, true, true},
		// (An aligned window is left to the self-test: its boundary may fall
		// inside a try, which the workflow then repeats.)
		{"token bucket counting refusals", []fixtures.Option{fixtures.WithAlgorithm(fixtures.TokenBucket), fixtures.WithCountRefused(true)}, true, true, true},
		{"no limiter", []fixtures.Option{fixtures.WithDeviations("rate-unlimited")}, false, true, true},
		// The burst alternates two paths: a counter per path, or one path
		// alone counting, never fills.
		{"a counter per path", []fixtures.Option{fixtures.WithDeviations("rate-per-route")}, false, true, true},
		{"one path counting", []fixtures.Option{fixtures.WithDeviations("rate-count-one-path")}, false, true, true},
		{"stream calls skipped", []fixtures.Option{fixtures.WithDeviations("rate-skip-stream")}, true, false, true},
		{"one path outside the limit", []fixtures.Option{fixtures.WithDeviations("rate-unlimited@/ai/chat")}, true, false, true},
		{"a short Retry-After on one path", []fixtures.Option{fixtures.WithDeviations("retry-after-short@/ai/v1")}, true, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, err := fixtures.Start(append([]fixtures.Option{fixtures.WithRateLimit(limit)}, c.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			r := newRuntime(Config{Root: srv.Root(), Keys: Keys{API: srv.Keys().Valid}, Limit: limit, Timeout: 10 * time.Second})
			ctx := context.Background()
			try, err := r.rateBurst(ctx, target.PathChat, VariantPlain.body(), time.Time{}, tryShape(limit.N))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(try.all()); got != tryShape(limit.N).calls()-1 {
				t.Errorf("%d HTTP calls besides the SDK's, want %d", got, tryShape(limit.N).calls()-1)
			}
			if err := judge.WithinLimit(limit, try.burst); err != nil {
				t.Errorf("RATE-2: %v", err)
			}
			if err := judge.OverLimit(limit, try.burst); (err == nil) != c.over {
				t.Errorf("RATE-1 excess: %v, want holding=%v", err, c.over)
			}
			if err := judge.SharedLimit(limit, try.reached, try.cross); (err == nil) != c.shared {
				t.Errorf("RATE-1 across paths: %v, want holding=%v", err, c.shared)
			}
			promise, ok := judge.RetryDeadline(try.all())
			if !ok {
				return // nothing refused (no limiter): nothing to probe
			}
			time.Sleep(time.Until(promise.At) + 10*time.Millisecond)
			probe, err := r.rateCall(ctx, promise.Path, VariantPlain.body())
			if err != nil {
				t.Fatal(err)
			}
			if err := judge.RetryAfterHonest(promise, probe); (err == nil) != c.honest {
				t.Errorf("RATE-4 on %s: %v, want holding=%v", promise.Path, err, c.honest)
			}
		})
	}
}
