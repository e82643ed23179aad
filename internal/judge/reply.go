package judge

import (
	"errors"
	"net/http"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Finding is one clause a reply breaks, in one line.
type Finding struct {
	Clause string
	Detail string
}

// Reply judges a chat reply that should have been served (the replies a load
// run samples) by the same expectations the suite uses: CHAT-1..3 as the one
// definition of served, CHAT-4, and CHAT-6 against the request's max_tokens.
func Reply(request []byte, status int, header http.Header, body []byte) []Finding {
	ex := &target.Exchange{Method: http.MethodPost, Status: status, Header: header, Body: body, RequestBody: request}
	var out []Finding
	add := func(clause string, err error) {
		if err != nil && !errors.Is(err, ErrCannotTell) {
			out = append(out, Finding{Clause: clause, Detail: err.Error()})
		}
	}
	if !is2xx(status) {
		add("CHAT-1", CheckStatus(ex, http.StatusOK))
		return out
	}
	// A reply the fast scan proves served keeps CHAT-1..3 (it accepts only
	// what Completion does); only the others need the decoded body.
	if _, served := fastCompletion(status, header, body); !served {
		add("CHAT-1", CompletionEnvelope(ex))
		add("CHAT-2", CompletionChoices(ex))
		_, err := CompletionUsage(ex)
		add("CHAT-3", err)
	}
	add("CHAT-4", CompletionFields(ex))
	add("CHAT-6", MaxTokensHonoured(ex))
	return out
}
