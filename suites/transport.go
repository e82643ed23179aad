package suites

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// ErrBudgetSpent is returned for a call beyond --max-calls: the spec that
// wanted it is an ERROR, not a verdict on the target.
var ErrBudgetSpent = errors.New("call budget spent (--max-calls)")

// maxRetries429 bounds how often one call outside the RATE specs waits out a
// 429 before the spec is given up as an ERROR.
const maxRetries429 = 3

// Meter counts what a run spends: calls, 429s waited out, tokens.
type Meter struct {
	max       int64 // 0: unlimited
	calls     atomic.Int64
	waited429 atomic.Int64
	tokens    atomic.Int64
}

// Calls is the number of HTTP calls made.
func (m *Meter) Calls() int { return int(m.calls.Load()) }

// Waited429 is the number of 429s waited out and retried.
func (m *Meter) Waited429() int { return int(m.waited429.Load()) }

// Tokens is the total_tokens of every served chat call.
func (m *Meter) Tokens() int { return int(m.tokens.Load()) }

// take counts one call, or refuses it beyond the budget.
func (m *Meter) take() error {
	if n := m.calls.Add(1); m.max > 0 && n > m.max {
		m.calls.Add(-1)
		return fmt.Errorf("%w: all %d calls used", ErrBudgetSpent, m.max)
	}
	return nil
}

// pacedTransport is the one road every request of a run takes, the SDK's
// included: it keeps the budget, paces under the limit, waits out 429s
// (outside bursts), counts tokens and records exchanges for evidence.
//
// The per-call timeout sits beneath it, in base: each attempt (send and read
// the body) gets its own deadline once the pacer has let it go, so that the
// tool's own waits (pacing, 429s) never count against the target.
type pacedTransport struct {
	base   http.RoundTripper // NewHTTPClient's: it times each attempt out
	pacer  *Pacer
	meter  *Meter
	status *status // what the run is waiting for (nil: not shown)
}

// newPacedClient is a client whose every call takes the paced transport,
// timing out each attempt after timeout. A timeout above the pacer would also
// run while it holds a call back, so the client has none.
func newPacedClient(root target.Root, conn target.Connection, pacer *Pacer, meter *Meter, timeout time.Duration, st *status) *target.Client {
	return target.NewClient(root, target.WithTimeout(0), target.WithTransport(&pacedTransport{
		base: target.NewHTTPClient(timeout, conn).Transport, pacer: pacer, meter: meter, status: st}))
}

type ctxKey int

const (
	burstKey ctxKey = iota
	recorderKey
)

// burst marks a context whose calls skip pacing and see raw 429s (RATE specs).
func burst(ctx context.Context) context.Context { return context.WithValue(ctx, burstKey, true) }

func isBurst(ctx context.Context) bool { b, _ := ctx.Value(burstKey).(bool); return b }

// recorder keeps the exchanges made under a context: the SDK specs' evidence.
type recorder struct {
	mu  sync.Mutex
	exs []*target.Exchange
}

func withRecorder(ctx context.Context) (context.Context, *recorder) {
	r := &recorder{}
	return context.WithValue(ctx, recorderKey, r), r
}

func (r *recorder) add(ex *target.Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exs = append(r.exs, ex)
}

// Exchanges is what was recorded.
func (r *recorder) Exchanges() []*target.Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*target.Exchange(nil), r.exs...)
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	raw := isBurst(ctx)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if req.GetBody == nil && req.Body != nil {
				return nil, errors.New("cannot retry a 429: request body cannot be replayed")
			}
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				req = req.Clone(ctx)
				req.Body = body
			}
		}
		// A redirect's next request (Response set) goes on with the call
		// the meter counted already: a gateway that routes aliases by
		// redirecting must not spend the stated budget twice. It is
		// paced all the same, in case the gateway counts it.
		if attempt > 0 || req.Response == nil {
			if err := t.meter.take(); err != nil {
				return nil, err
			}
		}
		if raw {
			t.pacer.Record()
		} else {
			if d := t.pacer.Delay(time.Now()); d > 0 {
				t.status.waiting("pacing under the limit", d)
			}
			err := t.pacer.Wait(ctx)
			t.status.waited()
			if err != nil {
				return nil, err
			}
		}
		start := time.Now()
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		if err := t.observe(req, resp, start); err != nil {
			return nil, err
		}
		if raw || resp.StatusCode != http.StatusTooManyRequests || attempt >= maxRetries429 {
			return resp, nil
		}
		wait := t.pacer.Limit().Window
		if d, err := judge.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); err == nil && d > 0 {
			wait = min(d, 2*wait+time.Second)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, target.DefaultMaxBody))
		resp.Body.Close()
		t.meter.waited429.Add(1)
		if err := t.status.sleep(ctx, wait, "a 429 (Retry-After) before retrying"); err != nil {
			return nil, err
		}
	}
}

// observe reads a served body (capped) to count its tokens, hands the body on
// untouched, and records the exchange when the context asks for it.
func (t *pacedTransport) observe(req *http.Request, resp *http.Response, start time.Time) error {
	rec, _ := req.Context().Value(recorderKey).(*recorder)
	if resp.StatusCode != http.StatusOK && rec == nil {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, target.DefaultMaxBody))
	if err != nil && !target.Undecodable(err) {
		resp.Body.Close()
		return err
	}
	// A body that does not decode is the target's answer: its reader
	// fails again for the caller (the client, the SDK), which judges it.
	var rest io.Reader = resp.Body
	if err != nil {
		rest = failingReader{err}
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), rest), resp.Body}
	if resp.StatusCode == http.StatusOK && err == nil {
		// Counted as the suite judges it (12.0 and 12e0 are integers).
		if s, err := judge.ReadCompletion(resp.StatusCode, resp.Header, head); err == nil && s.Usage.TotalTokens > 0 {
			t.meter.tokens.Add(int64(s.Usage.TotalTokens))
		}
	}
	if rec != nil {
		var body []byte
		if req.GetBody != nil {
			if rc, err := req.GetBody(); err == nil {
				body, _ = io.ReadAll(rc)
			}
		}
		rec.add(&target.Exchange{Method: req.Method, URL: req.URL.String(), RequestHeader: req.Header.Clone(),
			RequestBody: body, Status: resp.StatusCode, Header: resp.Header.Clone(), Body: head, BodyErr: err, Duration: time.Since(start)})
	}
	return nil
}

// failingReader fails every read with its error.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }
