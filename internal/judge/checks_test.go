package judge

import (
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

func exchange(status int, contentType, body string) *target.Exchange {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &target.Exchange{Status: status, Header: h, Body: []byte(body)}
}

// undecodable marks an exchange's body as one that did not decode.
func undecodable(ex *target.Exchange) *target.Exchange {
	ex.BodyErr = gzip.ErrHeader
	return ex
}

const goodChat = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m",
 "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
 "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`

func mustObject(t *testing.T, body string) Object {
	t.Helper()
	obj, err := DecodeObject([]byte(body))
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "test body %s", body)
	return obj
}

// refusal is a case a check must refuse, and what its message must name.
type refusal struct {
	name, in, want string
}

func TestDecodeObject(t *testing.T) {
	for _, c := range []refusal{
		{"empty", "", "body is not JSON"},
		{"array", "[]", "JSON but not an object"},
		{"string", `"x"`, "JSON but not an object"},
		{"truncated", "{", "body is not JSON"},
		{"two objects", `{"a":1} {"b":2}`, "more than one JSON value"},
		{"html", "<html>", "body is not JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeObject([]byte(c.in))
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(c.want)))
		})
	}
	t.Run("object", func(t *testing.T) {
		NewWithT(t).Expect(DecodeObject([]byte(" {\"a\":1}\n"))).To(Equal(Object{"a": json.Number("1")}))
	})
}

func TestCheckJSONContentType(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		t.Run(ct, func(t *testing.T) {
			NewWithT(t).Expect(CheckJSONContentType(http.Header{"Content-Type": {ct}})).To(Succeed())
		})
	}
	for _, c := range []refusal{
		{"none", "", "no Content-Type, want application/json"},
		{"text", "text/plain", `Content-Type "text/plain", want application/json`},
		{"event stream", "text/event-stream", `Content-Type "text/event-stream", want application/json`},
		{"jsonx", "application/jsonx", `Content-Type "application/jsonx", want application/json`},
		{"bad parameter", "application/json; =", `Content-Type "application/json; =" does not parse`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.in != "" {
				h.Set("Content-Type", c.in)
			}
			NewWithT(t).Expect(CheckJSONContentType(h)).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

func TestCheckServed(t *testing.T) {
	t.Run("good chat", func(t *testing.T) {
		NewWithT(t).Expect(CheckServed(exchange(200, "application/json", goodChat))).To(Succeed())
	})
	t.Run("integral numbers written with a fraction", func(t *testing.T) {
		body := strings.NewReplacer(`"prompt_tokens":5`, `"prompt_tokens":5.0`, `"total_tokens":6`, `"total_tokens":6e0`).Replace(goodChat)
		usage, err := Completion(exchange(200, "application/json; charset=utf-8", body))
		g := NewWithT(t)
		g.Expect(err).To(Succeed())
		g.Expect(usage.TotalTokens).To(Equal(6))
	})
	for _, c := range []struct {
		name string
		ex   *target.Exchange
		want string
	}{
		{"404", exchange(404, "application/json", `{"error":{"message":"no"}}`), "status 404, want 200"},
		{"429", exchange(429, "application/json", `{"error":{"message":"slow down"}}`), "status 429, want 200"},
		{"201 with a completion", exchange(201, "application/json", goodChat), "status 201, want 200"},
		{"not JSON", exchange(200, "application/json", "<html>"), "body is not JSON"},
		{"HTML", exchange(200, "text/html", "<html>"), `Content-Type "text/html", want application/json`},
		{"health document", exchange(200, "application/json", `{"status":"ok"}`), "choices is missing or null, want an array"},
		{"streaming chunk", exchange(200, "application/json", `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"}}]}`),
			"choices[0].message is missing or null, want an object"},
		{"another vendor's error", exchange(200, "application/json", `{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`),
			"status 200 but the body is an error"},
		{"no usage", exchange(200, "application/json", strings.Replace(goodChat, `"usage"`, `"usage_"`, 1)), "usage is missing or null, want an object"},
		{"fractional count", exchange(200, "application/json", strings.Replace(goodChat, `"prompt_tokens":5`, `"prompt_tokens":5.5`, 1)), "usage.prompt_tokens is 5.5, want an integer"},
		{"text_completion", exchange(200, "application/json", `{"object":"text_completion","choices":[{"text":"ok"}]}`),
			`legacy "text_completion" shape`},
		{"legacy choices", exchange(200, "application/json", `{"choices":[{"text":"ok","index":0}]}`),
			"choices[0] has text but no message"},
		{"error as 200", exchange(200, "application/json", `{"error":{"message":"bad key"}}`),
			"status 200 but the body is an error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckServed(c.ex)).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

func TestCheckChatEnvelope(t *testing.T) {
	t.Run("good chat", func(t *testing.T) {
		NewWithT(t).Expect(CheckChatEnvelope(exchange(200, "application/json; charset=utf-8", goodChat))).To(Succeed())
	})
	for _, c := range []struct {
		name string
		ex   *target.Exchange
		want string
	}{
		{"201", exchange(201, "application/json", goodChat), "status 201, want 200"},
		{"text/plain", exchange(200, "text/plain", goodChat), `Content-Type "text/plain", want application/json`},
		{"array", exchange(200, "application/json", "[]"), "JSON but not an object"},
		{"undecodable", undecodable(exchange(200, "application/json", "")), "the body does not decode (gzip: invalid header)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckChatEnvelope(c.ex)).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

func TestCheckChatChoices(t *testing.T) {
	t.Run("good chat", func(t *testing.T) {
		NewWithT(t).Expect(CheckChatChoices(mustObject(t, goodChat))).To(Succeed())
	})
	t.Run("empty content", func(t *testing.T) {
		NewWithT(t).Expect(CheckChatChoices(mustObject(t, `{"choices":[{"message":{"content":""}}]}`))).
			To(Succeed(), "an empty string is a string")
	})
	for _, c := range []refusal{
		{"no choices", `{}`, "choices is missing or null, want an array"},
		{"empty choices", `{"choices":[]}`, "choices is empty"},
		{"choices object", `{"choices":{}}`, "choices is an object, want an array"},
		{"choice number", `{"choices":[1]}`, "choices[0] is a number (1), want an object"},
		{"legacy text", `{"choices":[{"text":"ok"}]}`, "choices[0] has text but no message"},
		{"null content", `{"choices":[{"message":{"content":null}}]}`, "choices[0].message.content is missing or null, want a string"},
		{"array content", `{"choices":[{"message":{"content":["a"]}}]}`, "choices[0].message.content is an array, want a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckChatChoices(mustObject(t, c.in))).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

func TestCheckChatUsage(t *testing.T) {
	t.Run("good chat", func(t *testing.T) {
		NewWithT(t).Expect(CheckChatUsage(mustObject(t, goodChat))).
			To(Equal(target.Usage{PromptTokens: 5, CompletionTokens: 1, TotalTokens: 6}))
	})
	t.Run("zero usage", func(t *testing.T) {
		NewWithT(t).Expect(CheckChatUsage(mustObject(t, `{"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`))).
			To(Equal(target.Usage{}))
	})
	for _, c := range []refusal{
		{"no usage", `{}`, "usage is missing or null, want an object"},
		{"null usage", `{"usage":null}`, "usage is missing or null, want an object"},
		{"wrong total", `{"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":7}}`,
			"usage.total_tokens 7 != prompt_tokens 5 + completion_tokens 1"},
		{"strings", `{"usage":{"prompt_tokens":"5","completion_tokens":"1","total_tokens":"6"}}`,
			"usage.prompt_tokens is a string, want an integer"},
		{"fractions", `{"usage":{"prompt_tokens":5.5,"completion_tokens":0.5,"total_tokens":6}}`,
			"usage.prompt_tokens is 5.5, want an integer"},
		{"negative", `{"usage":{"prompt_tokens":-1,"completion_tokens":1,"total_tokens":0}}`,
			"usage.prompt_tokens is -1, want >= 0"},
		{"no total", `{"usage":{"prompt_tokens":5,"completion_tokens":1}}`,
			"usage.total_tokens is missing or null, want an integer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := CheckChatUsage(mustObject(t, c.in))
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

func TestCheckChatFields(t *testing.T) {
	t.Run("good chat", func(t *testing.T) {
		NewWithT(t).Expect(CheckChatFields(mustObject(t, goodChat))).To(Succeed())
	})
	t.Run("extra fields", func(t *testing.T) {
		extra := strings.Replace(goodChat, `"model":"m"`, `"model":"org/m","system_fingerprint":"x","x_extra":{"a":1}`, 1)
		NewWithT(t).Expect(CheckChatFields(mustObject(t, extra))).To(Succeed())
	})
	for _, c := range []refusal{
		{"no id", strings.Replace(goodChat, `"id":"chatcmpl-1",`, "", 1), "id is missing or null, want a non-empty string"},
		{"chunk", strings.Replace(goodChat, `"chat.completion"`, `"chat.completion.chunk"`, 1),
			`object is "chat.completion.chunk", want "chat.completion"`},
		{"created date", strings.Replace(goodChat, `1700000000`, `"2024-01-01"`, 1), "created is a string, want an integer"},
		{"no finish", strings.Replace(goodChat, `,"finish_reason":"stop"`, "", 1),
			"choices[0].finish_reason is missing or null, want a string"},
		{"role user", strings.Replace(goodChat, `"assistant"`, `"user"`, 1), `choices[0].message.role is "user", want "assistant"`},
		{"index 1", strings.Replace(goodChat, `"index":0`, `"index":1`, 1), "choices[0].index is 1, want 0"},
		{"no choices", `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[]}`, "no choices[0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckChatFields(mustObject(t, c.in))).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

const goodModels = `{"object":"list","data":[{"id":"org/model","object":"model","created":1700000000,"owned_by":"carpathian"}]}`

func TestCheckModels(t *testing.T) {
	t.Run("good list", func(t *testing.T) {
		g := NewWithT(t)
		entry, err := CheckModelsList(exchange(200, "application/json; charset=utf-8", goodModels))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(CheckModelEntry(entry)).To(Succeed())
		g.Expect(CheckModelFields(entry)).To(Succeed())
	})
	for _, c := range []struct {
		name string
		ex   *target.Exchange
		want string
	}{
		{"not list", exchange(200, "application/json", `{"object":"models","data":[{"id":"m","object":"model"}]}`),
			`object is "models", want "list"`},
		{"two", exchange(200, "application/json", `{"object":"list","data":[{"id":"a","object":"model"},{"id":"b","object":"model"}]}`),
			"data holds 2 entries, want exactly 1"},
		{"empty", exchange(200, "application/json", `{"object":"list","data":[]}`), "data holds 0 entries, want exactly 1"},
		{"data object", exchange(200, "application/json", `{"object":"list","data":{}}`), "data is an object, want an array"},
		{"401", exchange(401, "application/json", goodModels), "status 401, want 200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := CheckModelsList(c.ex)
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(c.want)))
		})
	}
	for _, c := range []refusal{
		{"entry empty id", `{"id":"","object":"model"}`, `data[0].id is "", want a non-empty string`},
		{"entry no id", `{"object":"model"}`, "data[0].id is missing or null, want a non-empty string"},
		{"entry engine", `{"id":"m","object":"engine"}`, `data[0].object is "engine", want "model"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckModelEntry(mustObject(t, c.in))).To(MatchError(ContainSubstring(c.want)))
		})
	}
	for _, c := range []refusal{
		{"fields created string", `{"created":"2024","owned_by":"x"}`, "data[0].created is a string, want an integer"},
		{"fields no owned_by", `{"created":1}`, "data[0].owned_by is missing or null, want a string"},
		{"fields created fraction", `{"created":1.5,"owned_by":"x"}`, "data[0].created is 1.5, want an integer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckModelFields(mustObject(t, c.in))).To(MatchError(ContainSubstring(c.want)))
		})
	}
	t.Run("ModelIDs", func(t *testing.T) {
		NewWithT(t).Expect(ModelIDs([]byte(goodModels))).To(Equal([]string{"org/model"}))
	})
}

func TestCheckErrorEnvelope(t *testing.T) {
	for _, good := range []string{`{"error":{"message":"bad key"}}`,
		`{"error":{"message":"nope","type":null,"code":null,"param":null},"extra":1}`,
		`{"error":{"message":"x","type":"invalid_request_error","code":"invalid_api_key"}}`} {
		t.Run(good, func(t *testing.T) {
			NewWithT(t).Expect(CheckErrorEnvelope(exchange(401, "application/json", good))).To(Succeed())
		})
	}
	for _, c := range []refusal{
		{"plain text", "unauthorized", "status 401: body is not JSON"},
		{"error string", `{"error":"bad key"}`, `status 401: error is a string, want an object {"message": ...}`},
		{"no message", `{"error":{}}`, "status 401: error.message is missing or null, want a non-empty string"},
		{"empty message", `{"error":{"message":""}}`, `status 401: error.message is "", want a non-empty string`},
		{"blank message", `{"error":{"message":" "}}`, `status 401: error.message is " ", want a non-empty string`},
		{"no error", `{"message":"bad key"}`, "status 401: error is missing or null, want an object"},
		{"number message", `{"error":{"message":5}}`, "status 401: error.message is 5, want a non-empty string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckErrorEnvelope(exchange(401, "application/json", c.in))).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

func TestCheckNotAnErrorAs200(t *testing.T) {
	for _, c := range []struct {
		name string
		ex   *target.Exchange
	}{
		{"401 empty", exchange(401, "", "")},
		{"400 error envelope", exchange(400, "application/json", `{"error":{"message":"x"}}`)},
		{"500 text", exchange(500, "", "boom")},
		{"200 chat", exchange(200, "application/json", goodChat)},
	} {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(CheckNotAnErrorAs200(c.ex)).To(Succeed())
		})
	}
	for _, c := range []struct {
		name string
		ex   *target.Exchange
		want []string
	}{
		{"200 error envelope", exchange(200, "application/json", `{"error":{"message":"bad key"}}`),
			[]string{"a refusal answered as success", "the body is an error"}},
		{"302", exchange(302, "", ""), []string{"status 302: a refusal must use a 4xx status"}},
		{"200 text", exchange(200, "text/plain", "error"), []string{"a refusal answered as success", `Content-Type "text/plain"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			err := CheckNotAnErrorAs200(c.ex)
			for _, want := range c.want {
				g.Expect(err).To(MatchError(ContainSubstring(want)))
			}
		})
	}
}

func TestCheckStatusAndStreams(t *testing.T) {
	g := NewWithT(t)
	g.Expect(CheckStatus(exchange(401, "", ""), 401)).To(Succeed())
	g.Expect(CheckStatus(exchange(403, "", ""), 401, 403)).To(Succeed())
	g.Expect(CheckStatus(exchange(500, "", "boom"), 401)).To(MatchError(ContainSubstring("status 500, want 401: boom")))
	g.Expect(CheckStatus(exchange(500, "", ""), 401, 403)).To(MatchError(ContainSubstring("status 500, want one of [401 403]")))

	g.Expect(IsEventStream(http.Header{"Content-Type": {"text/event-stream; charset=utf-8"}})).To(BeTrue())
	g.Expect(IsEventStream(http.Header{"Content-Type": {"application/json"}})).To(BeFalse())

	h := http.Header{"X-Ratelimit-Limit": {"60"}, "Ratelimit-Policy": {"60;w=60"}, "Content-Type": {"application/json"}}
	g.Expect(RateLimitHeaders(h)).To(Equal(map[string]string{"X-Ratelimit-Limit": "60", "Ratelimit-Policy": "60;w=60"}))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"0":                                0,
		"1":                                time.Second,
		" 30 ":                             30 * time.Second,
		"1.5":                              1500 * time.Millisecond, // fractions, as OpenAI's SDKs read them
		"Thu, 01 Jan 2026 12:00:05 GMT":    5 * time.Second,
		"Thu, 01 Jan 2026 11:59:00 GMT":    0, // past: no wait
		"Thursday, 01-Jan-26 12:00:02 GMT": 2 * time.Second,
	} {
		t.Run(in, func(t *testing.T) {
			NewWithT(t).Expect(ParseRetryAfter(in, now)).To(Equal(want))
		})
	}
	for _, c := range []refusal{
		{"empty", "", "Retry-After is empty"},
		{"negative", "-1", `Retry-After "-1" is negative`},
		{"word", "soon", `Retry-After "soon" is neither seconds nor an HTTP date`},
		{"over a day", "99999999999", `Retry-After "99999999999" is more than a day`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRetryAfter(c.in, now)
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(c.want)))
		})
	}
}
