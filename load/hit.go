package load

import (
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Outcome is how a call ended.
type Outcome uint8

const (
	// Success is a 2xx or 3xx answer, as vegeta counts success.
	Success Outcome = iota
	// RateLimited is a 429.
	RateLimited
	// Failure is anything else: another status, or no HTTP answer.
	Failure
)

func (o Outcome) String() string {
	return [...]string{"success", "rate_limited", "failure"}[o]
}

// Hit is one call's result as a run sees it: vegeta's Result plus what load
// reads of it. Sinks receive every Hit in arrival order.
type Hit struct {
	*vegeta.Result
	Outcome   Outcome
	KeyIndex  int // index into Plan.Keys
	BodyIndex int // index into Plan.Bodies (-1 for models)
	// ErrorClass groups failures and 429s ("http 5xx", "timeout", ...); "" on success.
	ErrorClass string
	// Chat is read from a successful chat reply's body; ChatOK tells whether
	// the body parsed at all.
	Chat   target.ChatSummary
	ChatOK bool
}

// read takes one result as a run sees it: the key and body it used (body
// -1 for models), its outcome and error class, a chat reply's summary.
func (h *Hit) read(res *vegeta.Result, key, body int) {
	*h = Hit{Result: res, KeyIndex: key, BodyIndex: body}
	h.classify()
	if h.Outcome == Success && body >= 0 {
		h.Chat, h.ChatOK = target.SummarizeChat(res.Body)
	}
}

// classify fills the outcome and error class of a hit.
func (h *Hit) classify() {
	switch c := h.Code; {
	case c >= 200 && c < 400:
		h.Outcome = Success
	case c == 429:
		h.Outcome, h.ErrorClass = RateLimited, "http 429"
	case c >= 500:
		h.Outcome, h.ErrorClass = Failure, "http 5xx"
	case c >= 400:
		h.Outcome, h.ErrorClass = Failure, "http 4xx"
	default:
		h.Outcome, h.ErrorClass = Failure, ClassifyError(h.Error)
	}
}

// ClassifyError groups a network error message (vegeta keeps only the
// text) into a class a report can count.
func ClassifyError(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case m == "":
		return "no answer"
	case strings.Contains(m, "timeout") || strings.Contains(m, "deadline exceeded"):
		return "timeout"
	case strings.Contains(m, "connection refused"):
		return "connection refused"
	case strings.Contains(m, "connection reset") || strings.Contains(m, "broken pipe"):
		return "connection reset"
	case strings.Contains(m, "eof"):
		return "connection closed"
	case strings.Contains(m, "context canceled"):
		return "cancelled"
	case strings.Contains(m, "tls") || strings.Contains(m, "x509"):
		return "tls"
	case strings.Contains(m, "no such host"):
		return "dns"
	case strings.Contains(m, "too many open files"):
		return "local resources"
	default:
		return "network"
	}
}
