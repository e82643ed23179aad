package suites

import (
	"encoding/json"
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"net/http"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
)

// ReplyChecker checks the chat replies a load run samples with the CHAT
// checks (CHAT-1 to CHAT-4, and CHAT-6 against the request's max_tokens):
// conformance under load.
func ReplyChecker() load.ResponseChecker {
	return load.CheckerFunc(func(request []byte, status int, header http.Header, body []byte) []load.Violation {
		ex := &target.Exchange{Method: http.MethodPost, Status: status, Header: header, Body: body, RequestBody: request}
		if err := judge.CheckChatEnvelope(ex); err != nil {
			return []load.Violation{{Clause: "CHAT-1", Detail: err.Error()}}
		}
		obj, err := judge.DecodeObject(body)
		if err != nil {
			return []load.Violation{{Clause: "CHAT-1", Detail: err.Error()}}
		}
		var vs []load.Violation
		add := func(clause string, err error) {
			if err != nil {
				vs = append(vs, load.Violation{Clause: clause, Detail: err.Error()})
			}
		}
		add("CHAT-2", judge.CheckChatChoices(obj))
		usage, err := judge.CheckChatUsage(obj)
		add("CHAT-3", err)
		add("CHAT-4", judge.CheckChatFields(obj))
		var req struct {
			MaxTokens int `json:"max_tokens"`
		}
		if err == nil && json.Unmarshal(request, &req) == nil && req.MaxTokens > 0 && usage.CompletionTokens > req.MaxTokens {
			add("CHAT-6", fmt.Errorf("completion_tokens %d > max_tokens %d", usage.CompletionTokens, req.MaxTokens))
		}
		return vs
	})
}
