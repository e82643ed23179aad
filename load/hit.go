package load

import (
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/judge"
)

// Outcome is how a call ended.
type Outcome uint8

const (
	// Success is a served call: for chat, a chat completion (judge.Completion);
	// for models, a models list (judge.CheckModelsList, read by judge.ReadModelsList).
	Success Outcome = iota
	// RateLimited is a 429.
	RateLimited
	// Failure is anything else: another status, no HTTP answer, or a 2xx
	// whose body is not what was asked for (ClassNotCompletion).
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
	// Served is what a chat success's body holds (usage, finish reason).
	Served judge.Served
	// Requested is what the body asked for, when the plan knows it.
	Requested Requested
}

// Error classes of answers that came with a success status but are not what
// was asked for. The result's Error says why, so vegeta's own tools (which
// count by status) show it too.
const (
	ClassNotCompletion = "not a completion"
	ClassNotModelsList = "not a models list"
)

// read takes one result as a run sees it (and `report` again from a
// results file): the key and body call seq used, what that body asked for,
// the outcome judged. body is -1 for models.
func (h *Hit) read(res *vegeta.Result, key, body int, requested []Requested) {
	*h = Hit{Result: res, KeyIndex: key, BodyIndex: body}
	if body >= 0 && body < len(requested) {
		h.Requested = requested[body]
	}
	h.Classify(body < 0)
}

// Classify fills the outcome and error class of a hit: every answer with a
// success status is judged, chat by judge.ReadCompletion (the one definition
// of a served chat call), models by judge.ReadModelsList (judge.CheckModelsList's
// verdict, without allocating on a plain list).
func (h *Hit) Classify(models bool) {
	switch c := h.Code; {
	case c >= 200 && c < 400:
		var err error
		if models {
			err = judge.ReadModelsList(int(c), h.Headers, h.Body)
		} else {
			h.Served, err = judge.ReadCompletion(int(c), h.Headers, h.Body)
		}
		if err == nil {
			h.Outcome = Success
			return
		}
		h.Outcome, h.ErrorClass = Failure, ClassNotCompletion
		if models {
			h.ErrorClass = ClassNotModelsList
		}
		if h.Error == "" {
			h.Error = h.ErrorClass + ": " + err.Error()
		}
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
