package target

import "encoding/json"

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is the chat payload the tool sends. Optional fields are omitted
// when zero so a spec sends exactly what its clause names.
type ChatRequest struct {
	Model          string          `json:"model,omitempty"`
	Messages       []Message       `json:"messages"`
	MaxTokens      int             `json:"max_tokens,omitempty"`
	Temperature    *float64        `json:"temperature,omitempty"`
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	Stream         bool            `json:"stream,omitempty"`
}

// ResponseFormat is OpenAI's response_format.
type ResponseFormat struct {
	Type string `json:"type"`
}

// Usage is the token accounting of a chat completion.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ChatSummary is what load and rate analysis read of a reply: usage and the
// finish reason, nothing they do not need.
type ChatSummary struct {
	Usage        Usage
	FinishReason string
	HasUsage     bool
}

// SummarizeChat reads usage and finish_reason from a chat-completion body.
func SummarizeChat(body []byte) (ChatSummary, bool) {
	var v struct {
		Usage   *Usage `json:"usage"`
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return ChatSummary{}, false
	}
	s := ChatSummary{HasUsage: v.Usage != nil}
	if v.Usage != nil {
		s.Usage = *v.Usage
	}
	if len(v.Choices) > 0 {
		s.FinishReason = v.Choices[0].FinishReason
	}
	return s, true
}

// Chat is the one-line, cheap chat payload: the tool pays per token.
func Chat(prompt string, maxTokens int) ChatRequest {
	return ChatRequest{Model: "default", Messages: []Message{{Role: "user", Content: prompt}}, MaxTokens: maxTokens}
}

// JSON marshals v; for payloads built in code, which always marshal.
func JSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
