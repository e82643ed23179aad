package suites

import (
	"encoding/json"
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// CHAT: the chat-completion response, one clause per spec.
func chatSpecs() {
	It("is 200, application/json, a JSON object", Clause("CHAT-1", CostLow, 1), func(ctx SpecContext) {
		ex := ordinaryCall(ctx)
		holds(judge.CheckChatEnvelope(ex), ex)
	})

	It("has choices[0].message.content as a string", Clause("CHAT-2", CostLow, 1), func(ctx SpecContext) {
		ex := ordinaryCall(ctx)
		holds(judge.CheckChatChoices(servedObject(ex)), ex)
	})

	It("has judge.Integer usage with total = prompt + completion", Clause("CHAT-3", CostLow, 1), func(ctx SpecContext) {
		ex := ordinaryCall(ctx)
		u, err := judge.CheckChatUsage(servedObject(ex))
		holds(err, ex)
		note("usage %d+%d=%d tokens", u.PromptTokens, u.CompletionTokens, u.TotalTokens)
	})

	It("has the OpenAI chat.completion fields", Clause("CHAT-4", CostLow, 1), func(ctx SpecContext) {
		ex := ordinaryCall(ctx)
		holds(judge.CheckChatFields(servedObject(ex)), ex)
	})

	temperature := 0.2
	table("accepts the optional fields", Clause("CHAT-5", CostLow, 1),
		func(ctx SpecContext, field string, set func(*target.ChatRequest)) {
			ex := ordinaryCall(ctx, set)
			if err := judge.CheckServed(ex); err != nil {
				violated(fmt.Sprintf("with %s: %v", field, err), ex)
			}
		},
		Entry("temperature", "temperature", func(r *target.ChatRequest) { r.Temperature = &temperature }),
		Entry("max_tokens", "max_tokens", func(r *target.ChatRequest) { r.MaxTokens = smallMaxTokens }),
		Entry("response_format json_object", "response_format", jsonMode),
	)

	It("honours max_tokens", Clause("CHAT-6", CostLow, 1), func(ctx SpecContext) {
		const limit = 3
		ex := ordinaryCall(ctx, func(r *target.ChatRequest) {
			r.MaxTokens = limit
			r.Messages[0].Content = "Count from one to twenty in words."
		})
		if judge.CheckServed(ex) != nil {
			Skip("cannot tell: the request with max_tokens was not served (see CHAT-5)")
		}
		obj, err := judge.DecodeObject(ex.Body)
		holds(err, ex)
		usage, _ := obj["usage"].(map[string]any)
		n, err := judge.Integer(usage["completion_tokens"])
		if err != nil {
			Skip("cannot tell: usage.completion_tokens is unreadable (see CHAT-3)")
		}
		if n > limit {
			violated(fmt.Sprintf("max_tokens %d, but usage.completion_tokens is %d", limit, n), ex)
		}
		note("completion_tokens %d <= max_tokens %d", n, limit)
	})

	It("json_object content parses as JSON (backend-dependent)", Clause("CHAT-7", CostLow, 1), func(ctx SpecContext) {
		ex := ordinaryCall(ctx, jsonMode, func(r *target.ChatRequest) {
			r.Messages[0].Content = `Reply with the JSON object {"ok": true} and nothing else.`
		})
		if err := judge.CheckServed(ex); err != nil {
			observe("not served: "+err.Error(), ex)
			return
		}
		obj, _ := judge.DecodeObject(ex.Body)
		var content string
		if first, ok := judge.FirstChoice(obj); ok {
			msg, _ := first["message"].(map[string]any)
			content, _ = msg["content"].(string)
		}
		if json.Valid([]byte(content)) {
			observe("json_object content is JSON")
		} else {
			observe(fmt.Sprintf("json_object content is not JSON: %.60q", content), ex)
		}
	})

	It("answers stream: true with one JSON completion, not event-stream", Clause("CHAT-8", CostLow, 1), func(ctx SpecContext) {
		ex := ordinaryCall(ctx, func(r *target.ChatRequest) { r.Stream = true })
		if judge.IsEventStream(ex.Header) {
			violated("stream: true was answered as text/event-stream; streaming is not supported, so the full JSON completion is due", ex)
		}
		holds(judge.CheckServed(ex), ex)
	})
}

func jsonMode(r *target.ChatRequest) { r.ResponseFormat = &target.ResponseFormat{Type: "json_object"} }

// servedObject is the body of a served chat call. A call not served is the
// business of the route and model clauses: this clause cannot be judged.
func servedObject(ex *target.Exchange) judge.Object {
	GinkgoHelper()
	if err := judge.CheckServed(ex); err != nil {
		violated("the chat call was not served: "+err.Error(), ex)
	}
	obj, err := judge.DecodeObject(ex.Body)
	holds(err, ex)
	return obj
}
