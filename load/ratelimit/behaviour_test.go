package ratelimit

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

var limit20 = target.Limit{N: 20, Window: 4 * time.Second}

func TestRetryAfterHonestInSecondsAndAsDate(t *testing.T) {
	for _, quirk := range []string{"", "retry-after-date"} {
		t.Run("quirk="+quirk, func(t *testing.T) {
			opts := []fixtures.Option{fixtures.WithAlgorithm(fixtures.FixedWindow)}
			want := RetryAfterSeconds
			if quirk != "" {
				opts, want = append(opts, fixtures.WithQuirks(quirk)), RetryAfterDate
			}
			f := runFake(t, limit20, limit20, 1, opts...)
			ra := f.RetryAfter
			if ra.Format != want || ra.Delay <= 0 || ra.Delay > limit20.Window+2*time.Second {
				t.Fatalf("Retry-After %+v, want %s within a window", ra, want)
			}
			if !strings.HasPrefix(ra.ServedAt, "yes") || ra.Error == "" {
				t.Errorf("Retry-After %+v: a retry at it is served by the reference server", ra)
			}
		})
	}
}

func TestNoRetryAfter(t *testing.T) {
	f := runFake(t, limit20, limit20, 1, fixtures.WithDeviations("no-retry-after"))
	if f.RetryAfter.Format != RetryAfterAbsent || f.Fingerprint.Algorithm != FixedWindow {
		t.Errorf("Retry-After %+v, fingerprint %q: want absent, fixed window", f.RetryAfter, f.Fingerprint.Algorithm)
	}
}

func TestModelsAndPerKey(t *testing.T) {
	for _, count := range []bool{false, true} {
		f := runFake(t, limit20, limit20, 2, fixtures.WithCountModels(count))
		if got := strings.HasPrefix(f.ModelsCount, "yes"); got != count {
			t.Errorf("count-models=%v: models count %q", count, f.ModelsCount)
		}
		if !strings.HasPrefix(f.PerKey, "yes") {
			t.Errorf("per key %q: the second key has its own limit", f.PerKey)
		}
		if !strings.HasPrefix(f.RefusedBilled, "no") {
			t.Errorf("refused billed %q: the reference server bills no 429", f.RefusedBilled)
		}
	}
}

func TestDeviationsFail(t *testing.T) {
	for name, want := range map[string]string{"rate-unlimited": "no 429", "rate-double": "measured 40", "rate-half": "measured 10", "rate-ban": "RATE-3"} {
		t.Run(name, func(t *testing.T) {
			f := runFake(t, limit20, limit20, 1, fixtures.WithDeviations(name))
			if f.Verdict != VerdictFail || !strings.Contains(f.VerdictDetail, want) {
				t.Errorf("verdict %s (%s), want FAIL saying %q", f.Verdict, f.VerdictDetail, want)
			}
		})
	}
}

func TestHeadersAgree(t *testing.T) {
	f := runFake(t, limit20, limit20, 1, fixtures.WithAlgorithm(fixtures.SlidingWindow))
	if len(f.Headers) != 3 {
		t.Fatalf("headers %+v, want the three X-RateLimit-*", f.Headers)
	}
	for _, h := range f.Headers {
		if !strings.HasPrefix(h.Agrees, "yes") {
			t.Errorf("%s: %s", h.Name, h.Agrees)
		}
	}
}

func TestResultsReadByVegeta(t *testing.T) {
	f := runFake(t, limit20, limit20, 1)
	var buf bytes.Buffer
	out := load.BinaryOutput(&buf)
	for _, c := range f.Calls {
		r := c.Result()
		if err := out.Add(&load.Hit{Result: &r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	dec := vegeta.NewDecoder(&buf)
	var m vegeta.Metrics
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			break
		}
		// vegeta plot splits OK from error by Error alone.
		if ok := r.Error == ""; ok != (r.Code >= 200 && r.Code < 400) {
			t.Errorf("status %d with Error %q: vegeta plot would call it %s", r.Code, r.Error, map[bool]string{true: "OK", false: "an error"}[ok])
		}
		m.Add(&r)
	}
	m.Close()
	if int(m.Requests) != len(f.Calls) || m.StatusCodes["429"] == 0 || m.StatusCodes["200"] == 0 {
		t.Errorf("vegeta read %d results, codes %v; want %d with 200s and 429s", m.Requests, m.StatusCodes, len(f.Calls))
	}
}

func TestInterruptedKeepsWhatWasMeasured(t *testing.T) {
	clock := fixtures.NewFakeClock(t0)
	caller, _ := serve(t, clock, fixtures.WithRateLimit(limit20))
	ctx, cancel := context.WithCancel(context.Background())
	stopper := stopAfter{Caller: caller, n: 25, cancel: cancel}
	f := Run(ctx, &stopper, Config{Expect: limit20, Clock: fakeClock{clock}, SkipQuiet: true})
	if !f.Interrupted || f.CallsSpent < 21 || f.BurstCapacity != 20 {
		t.Errorf("interrupted=%v, %d calls, burst %d: want the burst kept", f.Interrupted, f.CallsSpent, f.BurstCapacity)
	}
}

// stopAfter cancels the run after n calls, as Ctrl-C would.
type stopAfter struct {
	Caller
	n      int
	cancel func()
}

func (s *stopAfter) Call(ctx context.Context, kind Kind, key int) Call {
	if s.n--; s.n == 0 {
		s.cancel()
	}
	return s.Caller.Call(ctx, kind, key)
}

func TestSustainedMaxAndTimeline(t *testing.T) {
	base := time.Unix(1000, 0)
	mk := func(ms, status int) Call {
		return Call{Kind: KindChat, Sent: base.Add(time.Duration(ms) * time.Millisecond), Status: status}
	}
	// A fixed window of 3 per second, boundary at 500ms: 3 before it, 3 after.
	calls := []Call{mk(400, 200), mk(410, 200), mk(420, 200), mk(430, 429), mk(600, 200), mk(610, 200), mk(620, 200), mk(630, 429), mk(1700, 200)}
	if got := sustainedMax(calls, time.Second); got != 6 {
		t.Errorf("sustained max %d, want 6", got)
	}
	tl := timeline(calls, time.Second)
	if len(tl) != 2 || tl[0].Sent != 8 || tl[0].Side != 0 || tl[0].Accepted != 6 || tl[0].Refused != 2 || tl[1].Accepted != 1 {
		t.Errorf("timeline %+v", tl)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"3": 3 * time.Second, "0.5": time.Second / 2, now.Add(7 * time.Second).Format(http1123): 7 * time.Second} {
		c := Call{Sent: now, Header: map[string][]string{"Retry-After": {v}, "Date": {now.Format(http1123)}}}
		if got, ok := retryAfter(c); !ok || got != want {
			t.Errorf("Retry-After %q: %s, %v; want %s", v, got, ok, want)
		}
	}
	if _, f := parseRetryAfter(Call{Header: map[string][]string{"Retry-After": {"soon"}}}); f != RetryAfterInvalid {
		t.Errorf("Retry-After soon: %s, want invalid", f)
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestUnauthorisedKeyStopsAtOnce(t *testing.T) {
	clock := fixtures.NewFakeClock(t0)
	srv, err := fixtures.Start(fixtures.WithClock(clock), fixtures.WithRateLimit(limit20))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	caller := NewTargetCaller(target.NewClient(srv.Root()), []string{srv.Keys().Revoked}, fakeClock{clock})
	f := Run(context.Background(), caller, Config{Expect: limit20, Clock: fakeClock{clock}})
	if f.CallsSpent != 1 || f.Verdict != VerdictIncomplete || !strings.Contains(f.Error, "HTTP 401") {
		t.Errorf("%d calls, verdict %s, error %q: want one call, INCOMPLETE, saying 401", f.CallsSpent, f.Verdict, f.Error)
	}
}
