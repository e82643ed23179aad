package ratelimit

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Kind is what a call asks for.
type Kind string

const (
	KindChat   Kind = "chat"
	KindModels Kind = "models"
)

// Phase names the probe a call belongs to.
type Phase string

const (
	PhaseMarker    Phase = "marker"           // the burst's first call, sent a short gap before the rest
	PhaseBurst     Phase = "burst"            // back to back until the first 429
	PhaseModels    Phase = "models"           // a models call while chat is exhausted
	PhasePerKey    Phase = "per-key"          // the second key while the first is exhausted
	PhaseRetryHalf Phase = "retry-after-half" // at half of Retry-After: should be refused
	PhaseRetry     Phase = "retry-after"      // at Retry-After: should be served
	PhaseRefill    Phase = "refill"           // spaced probes for the first re-admission
	PhaseFollowUp  Phase = "follow-up"        // a volley right after a re-admission
	PhaseBoundary  Phase = "boundary"         // a volley just after the marker ages out
)

// Call is one recorded call: every figure of the analysis comes from these.
type Call struct {
	Seq      int           `json:"seq"`
	Phase    Phase         `json:"phase"`
	Kind     Kind          `json:"kind"`
	Key      int           `json:"key"`              // 0 the first key, 1 the second
	Volley   int           `json:"volley,omitempty"` // calls sent at once share it
	Sent     time.Time     `json:"sent"`
	Latency  time.Duration `json:"latency_ns"`
	Status   int           `json:"status"` // 0 when no answer came
	Error    string        `json:"error,omitempty"`
	Header   http.Header   `json:"headers,omitempty"` // rate-limit headers, Retry-After and Date only
	HasUsage bool          `json:"has_usage"`
	Tokens   int           `json:"tokens,omitempty"`
	Method   string        `json:"method"`
	URL      string        `json:"url"`
	BytesOut int           `json:"bytes_out"`
	BytesIn  int           `json:"bytes_in"`
}

// Accepted is a served call; Refused a rate-limited one.
func (c Call) Accepted() bool { return c.Status == http.StatusOK }
func (c Call) Refused() bool  { return c.Status == http.StatusTooManyRequests }

// Received is when the answer came back.
func (c Call) Received() time.Time { return c.Sent.Add(c.Latency) }

// Caller makes one call and records it (Sent, Latency, Status, headers, usage);
// the run fills in Seq, Phase and Volley.
type Caller interface {
	Call(ctx context.Context, kind Kind, key int) Call
}

// ProbePrompt and ProbeMaxTokens make every chat probe as cheap as a call can be.
const (
	ProbePrompt    = "Reply with OK."
	ProbeMaxTokens = 1
)

// TargetCaller calls a real target through target.Client.
type TargetCaller struct {
	client *target.Client
	keys   []string
	clock  Clock
	body   []byte
}

// NewTargetCaller calls the target with keys[key]; clock stamps the calls.
func NewTargetCaller(client *target.Client, keys []string, clock Clock) *TargetCaller {
	if clock == nil {
		clock = RealClock
	}
	return &TargetCaller{client: client, keys: keys, clock: clock,
		body: target.JSON(target.Chat(ProbePrompt, ProbeMaxTokens))}
}

// Call implements Caller.
func (tc *TargetCaller) Call(ctx context.Context, kind Kind, key int) Call {
	req := target.Request{Method: http.MethodGet, Path: target.PathModels, Key: tc.keys[key]}
	if kind == KindChat {
		req = target.Request{Method: http.MethodPost, Path: target.PathChat, Key: tc.keys[key], Body: tc.body}
	}
	c := Call{Kind: kind, Key: key, Method: req.Method, URL: tc.client.Root().URL(req.Path), BytesOut: len(req.Body)}
	c.Sent = tc.clock.Now()
	ex, err := tc.client.Do(ctx, req)
	c.Latency = tc.clock.Now().Sub(c.Sent)
	if err != nil {
		c.Error = err.Error()
	}
	if ex != nil {
		c.Status, c.Header, c.BytesIn = ex.Status, limitHeaders(ex.Header), len(ex.Body)
		if s, ok := target.SummarizeChat(ex.Body); ok && s.HasUsage {
			c.HasUsage, c.Tokens = true, s.Usage.TotalTokens
		}
	}
	return c
}

// limitHeaders keeps what the analysis reads: rate-limit headers in all three
// spellings, Retry-After and Date.
func limitHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, vs := range h {
		l := strings.ToLower(k)
		if target.IsRateLimitHeader(k) || l == "retry-after" || l == "date" {
			out[k] = vs
		}
	}
	return out
}
