package load

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// unlimited is a rate limit no test reaches.
var unlimited = target.Limit{N: 1 << 30, Window: time.Second}

func startServer(t testing.TB, opts ...fixtures.Option) *fixtures.Server {
	t.Helper()
	srv, err := fixtures.Start(append([]fixtures.Option{fixtures.WithRateLimit(unlimited)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func chatPlan(srv *fixtures.Server, p Profile, keys ...string) Plan {
	if len(keys) == 0 {
		keys = []string{srv.Keys().Valid}
	}
	return Plan{
		Root: srv.Root(), Path: "chat", Keys: keys, Profile: p, Timeout: 5 * time.Second,
		Bodies: ChatBodies([][]target.Message{Prompt("Say hi."), Prompt("Say bye.")}, 8),
	}
}

// The acceptance property at a test's scale: 200/s for 2 s against a server
// with a latency model, spread over two keys.
func TestRunConstantRate(t *testing.T) {
	srv := startServer(t, fixtures.WithLatency(fixtures.Latency{Base: 20 * time.Millisecond, PerToken: time.Millisecond}))
	plan := chatPlan(srv, must(Constant(200, 2*time.Second)), srv.Keys().Valid, srv.Keys().Second)
	var sends []time.Time
	res, err := Run(context.Background(), plan, WithSinks(SinkFunc(func(h *Hit) error {
		sends = append(sends, h.Timestamp)
		return nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Successes != s.Requests || s.Slots < 399 || s.Slots > 401 {
		t.Fatalf("%d requests, %d successes, %d slots (codes %v, errors %v), want every one of the 400 slots sent or missed, all successes",
			s.Requests, s.Successes, s.Slots, s.StatusCodes, s.Errors)
	}
	// On a machine busy enough to stall the sender, slots are missed and
	// counted, and workers woken together after a stall stamp their sends
	// in one bucket; otherwise the rate is met within 1% and no 100 ms
	// bucket holds more than 10% over the expected 20. That the pacer never
	// catches up in a burst, stalls or not, is proved on injected elapsed
	// times (TestPacerNeverBurstsAfterStall, TestPacerCatchesUpWithoutBurst).
	if s.Missed > 0 || s.Late > 0 {
		t.Logf("machine busy: %d slots missed, %d late; rate checks skipped", s.Missed, s.Late)
	} else {
		buckets := map[int64]int{}
		for _, ts := range sends {
			buckets[ts.Sub(res.Started).Milliseconds()/100]++
		}
		for b, n := range buckets {
			if n > 22 {
				t.Errorf("bucket %d holds %d sends, want at most 22", b, n)
			}
		}
		if s.Requests != 400 || s.Rate < 198 || s.Rate > 202 {
			t.Errorf("%d requests at %.2f/s with no missed slot, want 400 at 200/s within 1%%", s.Requests, s.Rate)
		}
		if s.OfferedRate < 199 || s.OfferedRate > 201 {
			t.Errorf("offered rate %.2f", s.OfferedRate)
		}
		if s.Keys[0].Requests != 200 || s.Keys[1].Requests != 200 {
			t.Errorf("keys not spread evenly: %+v", s.Keys)
		}
	}
	if d := int64(s.Keys[0].Requests) - int64(s.Keys[1].Requests); d < -1 || d > 1 {
		t.Errorf("keys not spread evenly: %+v", s.Keys)
	}
	if strings.Contains(s.Keys[0].Key, srv.Keys().Valid) || !strings.HasPrefix(s.Keys[0].Key, "cai_…") {
		t.Errorf("key not redacted: %q", s.Keys[0].Key)
	}
	if s.Tokens.WithUsage != s.Successes || s.Tokens.Completion == 0 || s.Tokens.CompletionPerCall.Max > 8 {
		t.Errorf("tokens %+v", s.Tokens)
	}
	// Latency model: at least 20 ms + 1 ms per completion token.
	if min := s.SuccessLatencies.Min; min < 20*time.Millisecond {
		t.Errorf("min latency %s under the server's 20 ms base", min)
	}
	if s.Tokens.PerOutputToken.Count == 0 || len(s.FinishReasons) == 0 {
		t.Error("no per-token latency or finish reasons")
	}
}

func TestRunOutputsDecodeWithVegeta(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "results.bin")
	out, err := FileOutput(bin, io.Discard, BinaryOutput)
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTimeline(time.Now(), 300*time.Millisecond)
	res, err := Run(context.Background(), chatPlan(srv, must(Constant(100, 300*time.Millisecond))), WithSinks(out, tl))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var m vegeta.Metrics
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("decoding: %v", err)
			}
			break
		}
		if r.BytesOut == 0 || len(r.Body) == 0 {
			t.Fatalf("result %d lacks bytes out or body", r.Seq)
		}
		m.Add(&r)
	}
	m.Close()
	if m.Requests != res.Summary.Requests || m.Requests == 0 || m.Success != 1 {
		t.Errorf("vegeta read %d requests (success %v), we sent %d", m.Requests, m.Success, res.Summary.Requests)
	}
	if m.Latencies.Max != res.Summary.Latencies.Max || m.Duration != res.Summary.Duration {
		t.Errorf("vegeta max %s duration %s, ours %s %s", m.Latencies.Max, m.Duration, res.Summary.Latencies.Max, res.Summary.Duration)
	}
	// The timeline saw every call and every token the summary counts.
	var calls, successes uint64
	var tokens int64
	for _, b := range tl.Buckets() {
		calls, successes, tokens = calls+b.Requests, successes+b.Successes, tokens+b.CompletionTokens
	}
	if calls != res.Summary.Requests || successes != res.Summary.Successes || tokens != res.Summary.Tokens.Completion {
		t.Errorf("timeline: %d calls, %d successes, %d tokens; summary %d, %d, %d", calls, successes, tokens,
			res.Summary.Requests, res.Summary.Successes, res.Summary.Tokens.Completion)
	}
}

// Cancelling (Ctrl-C) stops sending at once, waits for calls in flight and
// still writes the outputs. The cancel comes on the fifth answer, not after
// a wall-clock delay, so calls were sent before it however slow the machine.
func TestRunCancelStillWritesOutputs(t *testing.T) {
	srv := startServer(t, fixtures.WithLatency(fixtures.Latency{Base: 100 * time.Millisecond}))
	var buf bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var answers int
	var cancelled time.Time
	var sends []time.Time
	cancelOnFifth := SinkFunc(func(h *Hit) error {
		if answers++; answers == 5 {
			cancelled = time.Now()
			cancel()
		}
		sends = append(sends, h.Timestamp)
		return nil
	})
	res, err := Run(ctx, chatPlan(srv, must(Constant(50, 10*time.Second))), WithSinks(BinaryOutput(&buf), cancelOnFifth), WithGrace(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	// Cut short: far from the 10 s profile (a loose bound for a loaded
	// machine; the send times below are the tight check).
	if !s.Interrupted || res.Finished.Sub(res.Started) > 5*time.Second {
		t.Fatalf("interrupted=%v after %s", s.Interrupted, res.Finished.Sub(res.Started))
	}
	// vegeta's attacker may already be waiting for the next slot when it is
	// stopped, and a loaded machine delays the stop: a few sends (100 ms
	// of slots here) may follow the cancel, not the 490 left in the profile.
	after := 0
	for _, ts := range sends {
		if ts.After(cancelled) {
			after++
		}
	}
	if after > 5 {
		t.Errorf("%d calls went out after the cancel", after)
	}
	if s.Requests < 5 || s.Successes != s.Requests || s.Abandoned != 0 {
		t.Errorf("%d requests (%d successes, %d abandoned), want the 5 answered and those in flight at the cancel, all finished",
			s.Requests, s.Successes, s.Abandoned)
	}
	n := 0
	dec := vegeta.NewDecoder(&buf)
	for dec.Decode(&vegeta.Result{}) == nil {
		n++
	}
	if uint64(n) != s.Requests {
		t.Errorf("output holds %d results, summary %d", n, s.Requests)
	}
	// The rate over the time sent (about 50/s: slots missed while stalled
	// count), not the calls over the 10 s profile (under 3/s).
	if s.OfferedRate < 20 || s.OfferedRate > 100 {
		t.Errorf("offered rate %.1f over the time sent, want about 50", s.OfferedRate)
	}
}

// Past the grace period, calls still in flight are abandoned and counted.
// The cancel comes once the server holds a call, so one is in flight however
// slow the machine is to start the run.
func TestRunGraceAbandons(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, root := serveCalling(t, func(int64) { cancel() }, fixtures.WithLatency(fixtures.Latency{Base: 2 * time.Second}))
	plan := chatPlan(srv, must(Constant(50, 5*time.Second)))
	plan.Root = root
	res, err := Run(ctx, plan, WithGrace(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// Abandoned after the grace, before the 2 s answer.
	if s := res.Summary; s.Abandoned == 0 || s.Requests != 0 || res.Finished.Sub(res.Started) > 1500*time.Millisecond {
		t.Errorf("abandoned %d, requests %d, after %s", s.Abandoned, s.Requests, res.Finished.Sub(res.Started))
	}
}

// serveCalling serves the reference server on loopback and calls onCall
// with each call's number as it arrives, before serving it.
func serveCalling(t *testing.T, onCall func(n int64), opts ...fixtures.Option) (*fixtures.Server, target.Root) {
	t.Helper()
	srv, err := fixtures.New(append([]fixtures.Option{fixtures.WithRateLimit(unlimited)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		onCall(calls.Add(1))
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return srv, target.MustParseBaseURL(hs.URL + "/ai/v1")
}

func TestRunAbortOnErrorRate(t *testing.T) {
	srv := startServer(t)
	abort, err := ParseAbort("error_rate>50% for 200ms")
	if err != nil {
		t.Fatal(err)
	}
	plan := chatPlan(srv, must(Constant(100, 5*time.Second)), srv.Keys().Revoked)
	res, err := Run(context.Background(), plan, WithAbort(abort))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Aborted != "error_rate>50% for 200ms" || res.Finished.Sub(res.Started) > 2*time.Second {
		t.Fatalf("aborted %q after %s", s.Aborted, res.Finished.Sub(res.Started))
	}
	if s.StatusCodes[401] != s.Requests || s.ErrorClasses["http 4xx"] != s.Requests {
		t.Errorf("codes %v classes %v", s.StatusCodes, s.ErrorClasses)
	}
}

func TestRunClosedLoop(t *testing.T) {
	srv := startServer(t, fixtures.WithLatency(fixtures.Latency{Base: 20 * time.Millisecond}))
	plan := chatPlan(srv, must(Closed(4, time.Second)))
	plan.Path = "models"
	res, err := Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	// 4 in flight, ~20 ms each: about 200 calls in a second, never more.
	if s.Requests < 20 || s.Requests > 210 || s.Successes != s.Requests {
		t.Errorf("closed loop of 4 at 20 ms: %d requests (%d ok), want about 200", s.Requests, s.Successes)
	}
	if s.Chat || s.Tokens.Total != 0 {
		t.Error("models calls counted tokens")
	}
}

// With one worker and calls slower than the interval, slots are missed, not
// queued and burst later.
func TestRunMissedSlots(t *testing.T) {
	srv := startServer(t, fixtures.WithLatency(fixtures.Latency{Base: 50 * time.Millisecond}))
	plan := chatPlan(srv, must(Constant(100, time.Second)))
	plan.MaxWorkers = 1
	res, err := Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	// One call per ~50 ms: the run falls behind, catches up for the
	// tolerance (1 s), then drops slots: about 40 sent, about 60 missed, the
	// 100 slots covered.
	if s.Requests > 45 || s.Missed < 50 || s.Slots < 95 || s.Slots > 102 {
		t.Errorf("requests %d missed %d slots %d", s.Requests, s.Missed, s.Slots)
	}
}

type countingChecker struct{ calls atomic.Int64 }

func (c *countingChecker) CheckChat(req []byte, status int, h http.Header, body []byte) []Violation {
	n := c.calls.Add(1)
	if !bytes.Contains(req, []byte(`"max_tokens":8`)) || status != 200 || len(body) == 0 {
		return []Violation{{Clause: "TEST", Detail: "checker got the wrong call"}}
	}
	if n%2 == 0 {
		return []Violation{{Clause: "CHAT-3", Detail: "pretend"}}
	}
	return nil
}

func TestRunSamplesConformance(t *testing.T) {
	srv := startServer(t)
	ch := &countingChecker{}
	res, err := Run(context.Background(), chatPlan(srv, must(Constant(200, 500*time.Millisecond))), WithChecker(ch, 10))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Summary.Conformance
	want := (res.Summary.Successes + 9) / 10 // the 1st, 11th, 21st, ...
	if !c.Checked || c.Sampled != want || uint64(ch.calls.Load()) != want || want < 2 {
		t.Fatalf("sampled %d (checker called %d) of %d successes, want %d", c.Sampled, ch.calls.Load(), res.Summary.Successes, want)
	}
	if c.Violating != want/2 || c.ByClause["CHAT-3"] != want/2 || c.ByClause["TEST"] != 0 || len(c.Examples) != int(min(want/2, 5)) {
		t.Errorf("violations %+v", c)
	}
}

func TestPlanValidateAndEstimate(t *testing.T) {
	srv := startServer(t)
	p := chatPlan(srv, must(Constant(5, time.Minute)))
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	e := p.Estimate()
	// "Say bye." is 10 JSON bytes, + 8 overhead + 8 max_tokens.
	if e.Calls != 300 || !e.CallsBounded || e.TokensPerCall != 26 || e.Tokens != 7800 {
		t.Errorf("estimate %+v", e)
	}
	p.Bodies = ChatBodies([][]target.Message{Prompt("x")}, 0)
	if e := p.Estimate(); e.TokensBounded {
		t.Error("no max_tokens, yet a bounded estimate")
	}
	closed := chatPlan(srv, must(Closed(2, time.Minute)))
	if e := closed.Estimate(); e.CallsBounded {
		t.Error("closed loop without MaxCalls is bounded")
	}
	closed.MaxCalls = 50
	if e := closed.Estimate(); !e.CallsBounded || e.Calls != 50 {
		t.Errorf("closed loop capped at 50: %+v", e)
	}
	for _, bad := range []Plan{{}, {Root: srv.Root(), Path: "/nope"}, {Root: srv.Root(), Path: "chat"}, {Root: srv.Root(), Path: "chat", Keys: []string{"a b"}}} {
		if bad.Validate() == nil {
			t.Errorf("plan %+v validated", bad)
		}
	}
}

func TestReadPrompts(t *testing.T) {
	in := "Say hi.\n\n[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"}]\n"
	ps, err := ReadPrompts(strings.NewReader(in))
	if err != nil || len(ps) != 2 || len(ps[1]) != 2 || ps[0][0].Content != "Say hi." {
		t.Fatalf("ReadPrompts: %v %v", ps, err)
	}
	for _, bad := range []string{"", "\n\n", "[{\"role\":\"user\"}]", "[not json", "[]"} {
		if _, err := ReadPrompts(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadPrompts(%q) accepted", bad)
		}
	}
	if _, err := RecordedBody([]byte(`{"model":"x","messages":[{"role":"user","content":"hi"}], "max_tokens": 4}`)); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{`{}`, `[1]`, `nope`} {
		if _, err := RecordedBody([]byte(bad)); err == nil {
			t.Errorf("RecordedBody(%s) accepted", bad)
		}
	}
	for in, want := range map[string]string{"chat": target.PathChat, "models": target.PathModels, "/chat": "/chat", "v1/completions": "/v1/completions", "/models": "/models"} {
		if got, err := ResolvePath(in); err != nil || got != want {
			t.Errorf("ResolvePath(%q) = %q, %v", in, got, err)
		}
	}
}

// Each call is bounded by the plan's timeout, a slow body included (the
// call transport's deadline, not http.Client.Timeout's).
func TestRunTimesCallsOut(t *testing.T) {
	for name, stall := range map[string]func(w http.ResponseWriter){
		"headers": func(http.ResponseWriter) {},
		"body": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"choices":[`)
			w.(http.Flusher).Flush()
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := startServer(t)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client leave
				stall(w)
				select { // until the client gives up (bounded, should it not)
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}))
			t.Cleanup(hs.Close)
			plan := chatPlan(srv, must(Constant(10, 200*time.Millisecond)))
			plan.Root, plan.Timeout = target.MustParseBaseURL(hs.URL+"/ai/v1"), 100*time.Millisecond
			res, err := Run(context.Background(), plan, WithGrace(3*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			s := res.Summary
			if s.Requests != 2 || s.Successes != 0 || s.ErrorClasses["timeout"] != 2 || res.Finished.Sub(res.Started) > 2*time.Second {
				t.Errorf("requests %d, successes %d, classes %v, after %s", s.Requests, s.Successes, s.ErrorClasses, res.Finished.Sub(res.Started))
			}
		})
	}
}
