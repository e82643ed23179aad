package suites

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/target"
)

func exchange(status int, contentType, body string) *target.Exchange {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &target.Exchange{Status: status, Header: h, Body: []byte(body)}
}

const goodChat = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m",
 "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
 "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`

func mustObject(t *testing.T, body string) Object {
	t.Helper()
	obj, err := DecodeObject([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestDecodeObject(t *testing.T) {
	for _, bad := range []string{"", "[]", `"x"`, "{", `{"a":1} {"b":2}`, "<html>"} {
		if _, err := DecodeObject([]byte(bad)); err == nil {
			t.Errorf("DecodeObject(%q) accepted", bad)
		}
	}
	if _, err := DecodeObject([]byte(" {\"a\":1}\n")); err != nil {
		t.Errorf("DecodeObject rejected an object: %v", err)
	}
}

func TestCheckJSONContentType(t *testing.T) {
	good := []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"}
	bad := []string{"", "text/plain", "text/event-stream", "application/jsonx", "application/json; ="}
	for _, ct := range good {
		h := http.Header{"Content-Type": {ct}}
		if err := CheckJSONContentType(h); err != nil {
			t.Errorf("%q: %v", ct, err)
		}
	}
	for _, ct := range bad {
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		if err := CheckJSONContentType(h); err == nil {
			t.Errorf("%q accepted", ct)
		}
	}
}

func TestCheckServed(t *testing.T) {
	if err := CheckServed(exchange(200, "application/json", goodChat)); err != nil {
		t.Errorf("good chat: %v", err)
	}
	if err := CheckServed(exchange(201, "text/plain", goodChat)); err != nil {
		t.Errorf("201 with a completion is served (the status is CHAT-1's): %v", err)
	}
	bad := map[string]*target.Exchange{
		"404":             exchange(404, "application/json", `{"error":{"message":"no"}}`),
		"429":             exchange(429, "application/json", `{"error":{"message":"slow down"}}`),
		"not JSON":        exchange(200, "text/html", "<html>"),
		"text_completion": exchange(200, "application/json", `{"object":"text_completion","choices":[{"text":"ok"}]}`),
		"legacy choices":  exchange(200, "application/json", `{"choices":[{"text":"ok","index":0}]}`),
		"error as 200":    exchange(200, "application/json", `{"error":{"message":"bad key"}}`),
	}
	for name, ex := range bad {
		if err := CheckServed(ex); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestCheckChatEnvelope(t *testing.T) {
	if err := CheckChatEnvelope(exchange(200, "application/json; charset=utf-8", goodChat)); err != nil {
		t.Error(err)
	}
	for name, ex := range map[string]*target.Exchange{
		"201":        exchange(201, "application/json", goodChat),
		"text/plain": exchange(200, "text/plain", goodChat),
		"array":      exchange(200, "application/json", "[]"),
	} {
		if CheckChatEnvelope(ex) == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestCheckChatChoices(t *testing.T) {
	if err := CheckChatChoices(mustObject(t, goodChat)); err != nil {
		t.Error(err)
	}
	if err := CheckChatChoices(mustObject(t, `{"choices":[{"message":{"content":""}}]}`)); err != nil {
		t.Errorf("an empty string is a string: %v", err)
	}
	for _, bad := range []string{`{}`, `{"choices":[]}`, `{"choices":{}}`, `{"choices":[1]}`,
		`{"choices":[{"text":"ok"}]}`, `{"choices":[{"message":{"content":null}}]}`, `{"choices":[{"message":{"content":["a"]}}]}`} {
		if CheckChatChoices(mustObject(t, bad)) == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCheckChatUsage(t *testing.T) {
	u, err := CheckChatUsage(mustObject(t, goodChat))
	if err != nil || u.TotalTokens != 6 || u.PromptTokens != 5 || u.CompletionTokens != 1 {
		t.Errorf("good usage: %+v %v", u, err)
	}
	if _, err := CheckChatUsage(mustObject(t, `{"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`)); err != nil {
		t.Errorf("zero usage: %v", err)
	}
	for _, bad := range []string{`{}`, `{"usage":null}`,
		`{"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":7}}`,
		`{"usage":{"prompt_tokens":"5","completion_tokens":"1","total_tokens":"6"}}`,
		`{"usage":{"prompt_tokens":5.5,"completion_tokens":0.5,"total_tokens":6}}`,
		`{"usage":{"prompt_tokens":-1,"completion_tokens":1,"total_tokens":0}}`,
		`{"usage":{"prompt_tokens":5,"completion_tokens":1}}`} {
		if _, err := CheckChatUsage(mustObject(t, bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCheckChatFields(t *testing.T) {
	if err := CheckChatFields(mustObject(t, goodChat)); err != nil {
		t.Error(err)
	}
	extra := strings.Replace(goodChat, `"model":"m"`, `"model":"org/m","system_fingerprint":"x","x_extra":{"a":1}`, 1)
	if err := CheckChatFields(mustObject(t, extra)); err != nil {
		t.Errorf("extra fields: %v", err)
	}
	for name, body := range map[string]string{
		"no id":        strings.Replace(goodChat, `"id":"chatcmpl-1",`, "", 1),
		"chunk":        strings.Replace(goodChat, `"chat.completion"`, `"chat.completion.chunk"`, 1),
		"created date": strings.Replace(goodChat, `1700000000`, `"2024-01-01"`, 1),
		"no finish":    strings.Replace(goodChat, `,"finish_reason":"stop"`, "", 1),
		"role user":    strings.Replace(goodChat, `"assistant"`, `"user"`, 1),
		"index 1":      strings.Replace(goodChat, `"index":0`, `"index":1`, 1),
		"no choices":   `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[]}`,
	} {
		if CheckChatFields(mustObject(t, body)) == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

const goodModels = `{"object":"list","data":[{"id":"org/model","object":"model","created":1700000000,"owned_by":"carpathian"}]}`

func TestCheckModels(t *testing.T) {
	entry, err := CheckModelsList(exchange(200, "application/json; charset=utf-8", goodModels))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckModelEntry(entry); err != nil {
		t.Error(err)
	}
	if err := CheckModelFields(entry); err != nil {
		t.Error(err)
	}
	for name, body := range map[string]string{
		"not list":    `{"object":"models","data":[{"id":"m","object":"model"}]}`,
		"two":         `{"object":"list","data":[{"id":"a","object":"model"},{"id":"b","object":"model"}]}`,
		"empty":       `{"object":"list","data":[]}`,
		"data object": `{"object":"list","data":{}}`,
	} {
		if _, err := CheckModelsList(exchange(200, "application/json", body)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := CheckModelsList(exchange(401, "application/json", goodModels)); err == nil {
		t.Error("401 accepted")
	}
	for _, bad := range []string{`{"id":"","object":"model"}`, `{"object":"model"}`, `{"id":"m","object":"engine"}`} {
		if CheckModelEntry(mustObject(t, bad)) == nil {
			t.Errorf("entry %s accepted", bad)
		}
	}
	for _, bad := range []string{`{"created":"2024","owned_by":"x"}`, `{"created":1}`, `{"created":1.5,"owned_by":"x"}`} {
		if CheckModelFields(mustObject(t, bad)) == nil {
			t.Errorf("fields %s accepted", bad)
		}
	}
	ids, err := ModelIDs([]byte(goodModels))
	if err != nil || len(ids) != 1 || ids[0] != "org/model" {
		t.Errorf("ModelIDs = %q, %v", ids, err)
	}
}

func TestCheckErrorEnvelope(t *testing.T) {
	for _, good := range []string{`{"error":{"message":"bad key"}}`,
		`{"error":{"message":"nope","type":null,"code":null,"param":null},"extra":1}`,
		`{"error":{"message":"x","type":"invalid_request_error","code":"invalid_api_key"}}`} {
		if err := CheckErrorEnvelope(exchange(401, "application/json", good)); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	for _, bad := range []string{"unauthorized", `{"error":"bad key"}`, `{"error":{}}`, `{"error":{"message":""}}`,
		`{"error":{"message":" "}}`, `{"message":"bad key"}`, `{"error":{"message":5}}`} {
		if CheckErrorEnvelope(exchange(401, "application/json", bad)) == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCheckNotAnErrorAs200(t *testing.T) {
	for _, ex := range []*target.Exchange{exchange(401, "", ""), exchange(400, "application/json", `{"error":{"message":"x"}}`),
		exchange(500, "", "boom"), exchange(200, "application/json", goodChat)} {
		if err := CheckNotAnErrorAs200(ex); err != nil {
			t.Errorf("%d: %v", ex.Status, err)
		}
	}
	for _, ex := range []*target.Exchange{exchange(200, "application/json", `{"error":{"message":"bad key"}}`),
		exchange(302, "", ""), exchange(200, "text/plain", "error")} {
		if CheckNotAnErrorAs200(ex) == nil {
			t.Errorf("%d %s accepted", ex.Status, ex.Body)
		}
	}
}

func TestCheckStatusAndStreams(t *testing.T) {
	if CheckStatus(exchange(401, "", ""), 401) != nil || CheckStatus(exchange(403, "", ""), 401, 403) != nil {
		t.Error("a wanted status refused")
	}
	if err := CheckStatus(exchange(500, "", "boom"), 401); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("CheckStatus(500) = %v", err)
	}
	if !IsEventStream(http.Header{"Content-Type": {"text/event-stream; charset=utf-8"}}) || IsEventStream(http.Header{"Content-Type": {"application/json"}}) {
		t.Error("IsEventStream")
	}
	h := http.Header{"X-Ratelimit-Limit": {"60"}, "Ratelimit-Policy": {"60;w=60"}, "Content-Type": {"application/json"}}
	if got := RateLimitHeaders(h); len(got) != 2 {
		t.Errorf("RateLimitHeaders = %v", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"0":                                0,
		"1":                                time.Second,
		" 30 ":                             30 * time.Second,
		"Thu, 01 Jan 2026 12:00:05 GMT":    5 * time.Second,
		"Thu, 01 Jan 2026 11:59:00 GMT":    0, // past: no wait
		"Thursday, 01-Jan-26 12:00:02 GMT": 2 * time.Second,
	}
	for in, want := range cases {
		got, err := ParseRetryAfter(in, now)
		if err != nil || got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "soon", "1.5", "99999999999"} {
		if _, err := ParseRetryAfter(bad, now); err == nil {
			t.Errorf("ParseRetryAfter(%q) accepted", bad)
		}
	}
}
