package suites

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// A target that refuses its first `refuse` calls with 429, then serves a
// completion of 6 tokens.
func flakyTarget(t *testing.T, refuse int64) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) <= refuse {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"message":"slow down"}}`))
			return
		}
		w.Write([]byte(goodChat))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func pacedClient(srv *httptest.Server, max int64) (*target.Client, *Meter) {
	meter := &Meter{max: max}
	pacer := NewPacer(target.Limit{N: 100, Window: 20 * time.Millisecond})
	return newPacedClient(target.MustParseBaseURL(srv.URL+"/ai"), target.Connection{}, pacer, meter, 5*time.Second, nil), meter
}

func TestTransportWaitsOut429AndCounts(t *testing.T) {
	srv, calls := flakyTarget(t, 2)
	client, meter := pacedClient(srv, 0)
	ex, err := client.Do(context.Background(), target.Request{Method: "POST", Path: target.PathChat, Body: []byte(`{"messages":[]}`)})
	if err != nil || ex.Status != 200 {
		t.Fatalf("Do = %v, %v; want the 429s waited out", ex, err)
	}
	if calls.Load() != 3 || meter.Calls() != 3 || meter.Waited429() != 2 || meter.Tokens() != 6 {
		t.Errorf("target saw %d, meter calls %d waited %d tokens %d; want 3, 3, 2, 6",
			calls.Load(), meter.Calls(), meter.Waited429(), meter.Tokens())
	}
}

// A redirect's next request is the same call: the budget counts it once.
func TestTransportCountsARedirectedCallOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ai"+target.PathChat {
			http.Redirect(w, r, "/ai"+target.PathChat, http.StatusPermanentRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(goodChat))
	}))
	t.Cleanup(srv.Close)
	client, meter := pacedClient(srv, 1)
	ex, err := client.Do(context.Background(), target.Request{Method: "POST", Path: target.PathAliasChat, Body: []byte(`{"messages":[]}`)})
	if err != nil || ex.Status != 200 || meter.Calls() != 1 {
		t.Fatalf("Do = %v, %v with %d calls counted; want the redirect followed within a budget of 1", ex, err, meter.Calls())
	}
}

func TestTransportBurstSeesRaw429(t *testing.T) {
	srv, calls := flakyTarget(t, 1)
	client, meter := pacedClient(srv, 0)
	ex, err := client.Do(burst(context.Background()), target.Request{Path: target.PathChat})
	if err != nil || ex.Status != http.StatusTooManyRequests {
		t.Fatalf("a burst call got %v, %v; want the raw 429", ex, err)
	}
	if calls.Load() != 1 || meter.Waited429() != 0 {
		t.Errorf("a burst call was retried: %d calls, %d waited", calls.Load(), meter.Waited429())
	}
}

func TestTransportKeepsTheBudget(t *testing.T) {
	srv, calls := flakyTarget(t, 0)
	client, meter := pacedClient(srv, 2)
	for i := range 2 {
		if _, err := client.Do(context.Background(), target.Request{Path: target.PathModels}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := client.Do(context.Background(), target.Request{Path: target.PathModels})
	var netErr *target.NetError
	// target.Client keeps only the message of a transport error.
	if !errors.As(err, &netErr) || !strings.Contains(err.Error(), ErrBudgetSpent.Error()) {
		t.Errorf("the third call: %v; want ErrBudgetSpent as a NetError (an ERROR, not a FAIL)", err)
	}
	if calls.Load() != 2 || meter.Calls() != 2 {
		t.Errorf("%d calls reached the target, meter %d; want 2", calls.Load(), meter.Calls())
	}
}

func TestRecorderKeepsTheExchange(t *testing.T) {
	srv, _ := flakyTarget(t, 0)
	client, _ := pacedClient(srv, 0)
	ctx, rec := withRecorder(context.Background())
	if _, err := client.Do(ctx, target.Request{Method: "POST", Path: target.PathChat, Key: "cai_secret0123456789", Body: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	exs := rec.Exchanges()
	if len(exs) != 1 || exs[0].Status != 200 || string(exs[0].RequestBody) != `{"a":1}` || len(exs[0].Body) == 0 {
		t.Fatalf("recorded %+v", exs)
	}
	ev := exs[0].Evidence(target.NewRedactor("cai_secret0123456789"))
	if ev.RequestHeaders["Authorization"] != "Bearer cai_…6789" {
		t.Errorf("evidence Authorization = %q", ev.RequestHeaders["Authorization"])
	}
}

// The per-call timeout covers each attempt, never the pacer's wait: with a
// timeout far below the pacing delay, every call (the SDK's too) is served.
func TestTimeoutExcludesPacing(t *testing.T) {
	srv, calls := flakyTarget(t, 0)
	const timeout = 100 * time.Millisecond
	pacer := NewPacer(target.Limit{N: 1, Window: 250 * time.Millisecond}) // a call per ~290 ms
	client := newPacedClient(target.MustParseBaseURL(srv.URL+"/ai"), target.Connection{}, pacer, &Meter{}, timeout, nil)
	start := time.Now()
	for i := range 2 {
		if ex, err := client.Do(context.Background(), target.Request{Method: "POST", Path: target.PathChat, Body: []byte(`{}`)}); err != nil || ex.Status != 200 {
			t.Fatalf("call %d: %v, %v; want it served after the pacer's wait", i, ex, err)
		}
	}
	sdk := openai.NewClient(option.WithBaseURL(srv.URL+"/ai/v1"), option.WithAPIKey("cai_0123456789"),
		option.WithMaxRetries(0), option.WithHTTPClient(client.HTTP()))
	if _, err := sdk.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "default",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}); err != nil {
		t.Fatalf("an SDK call after the pacer's wait: %v", err)
	}
	if waited := time.Since(start); waited < 2*PaceWindow(pacer.Limit().Window) || calls.Load() != 3 {
		t.Fatalf("%d calls in %s: the pacer did not hold them back, the test proves nothing", calls.Load(), waited)
	}
}

// An attempt slower than the timeout still times out, as a network error.
func TestTimeoutCoversTheAttempt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush() // the headers come in time, the body does not
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	pacer := NewPacer(target.Limit{N: 100, Window: time.Second})
	client := newPacedClient(target.MustParseBaseURL(srv.URL+"/ai"), target.Connection{}, pacer, &Meter{}, 100*time.Millisecond, nil)
	start := time.Now()
	_, err := client.Do(context.Background(), target.Request{Path: target.PathModels})
	var netErr *target.NetError
	if !errors.As(err, &netErr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a body slower than the timeout: %v; want a timed-out NetError", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timed out after %s, want about 100ms", d)
	}
}

const goodChat = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m",
 "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
 "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`

// Usage written with an exponent or a fraction is counted as the judge reads it.
func TestTransportCountsTokensWrittenAsFloats(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(strings.Replace(goodChat, `"prompt_tokens":5,"completion_tokens":1,"total_tokens":6`,
			`"prompt_tokens":5.0,"completion_tokens":1e0,"total_tokens":6e0`, 1)))
	}))
	t.Cleanup(srv.Close)
	client, meter := pacedClient(srv, 0)
	if _, err := client.Do(context.Background(), target.Request{Method: "POST", Path: target.PathChat, Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if meter.Tokens() != 6 {
		t.Errorf("tokens = %d, want 6", meter.Tokens())
	}
}
