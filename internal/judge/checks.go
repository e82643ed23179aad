package judge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// The checks below are plain functions of what came back: each returns nil when
// the rule holds, else an error saying in one line what is wrong. Specs wire
// requests to them; they know nothing of Ginkgo. Each checks only its own
// clause, so that one deviation of a target fails one clause, not a cascade.

// Object is a decoded JSON object whose numbers keep their text (json.Number),
// so that "integer" can be told from "number".
type Object map[string]any

// DecodeObject parses a body that must be one JSON object.
func DecodeObject(body []byte) (Object, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body is not JSON (%v): %s", err, snippet(body))
	}
	if dec.More() {
		return nil, fmt.Errorf("body holds more than one JSON value: %s", snippet(body))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body is JSON but not an object: %s", snippet(body))
	}
	return obj, nil
}

// bodyObject is DecodeObject of an exchange's body; a body that came but
// did not decode (its Content-Encoding lies) is no JSON object either.
func bodyObject(ex *target.Exchange) (Object, error) {
	if ex.BodyErr != nil {
		return nil, fmt.Errorf("the body does not decode (%v): %s", ex.BodyErr, snippet(ex.Body))
	}
	return DecodeObject(ex.Body)
}

// CheckStatus wants one of the given statuses.
func CheckStatus(ex *target.Exchange, want ...int) error {
	for _, w := range want {
		if ex.Status == w {
			return nil
		}
	}
	if len(want) == 1 {
		return fmt.Errorf("status %d, want %d%s", ex.Status, want[0], bodyHint(ex))
	}
	return fmt.Errorf("status %d, want one of %v%s", ex.Status, want, bodyHint(ex))
}

// CheckJSONContentType wants application/json, parameters such as charset allowed (CHAT-1).
func CheckJSONContentType(h http.Header) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		return errors.New("no Content-Type, want application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("Content-Type %q does not parse: %v", ct, err)
	}
	if mt != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	return nil
}

// IsEventStream tells whether a response is server-sent events (CHAT-8).
func IsEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

// Completion is the one definition of a served chat call (CONTRACT.md,
// "Served"): the whole CHAT-1..3 shape. Status 200, a JSON content type, a JSON
// object whose choices[0].message.content is a string, and usage with integer
// counts where total = prompt + completion. Any other 2xx (a health document,
// a streaming chunk, another vendor's error, a text_completion) is not served.
// It returns the usage, and an error saying in one line what is missing.
func Completion(ex *target.Exchange) (target.Usage, error) {
	_, u, err := servedObject(ex)
	return u, err
}

// servedObject is Completion that also returns the body it decoded (once),
// for the clauses that go on to read a served reply.
func servedObject(ex *target.Exchange) (Object, target.Usage, error) {
	obj, err := chatEnvelope(ex)
	if err != nil {
		return nil, target.Usage{}, err
	}
	if o, _ := obj["object"].(string); o == "text_completion" {
		return nil, target.Usage{}, errors.New(`answered the legacy "text_completion" shape, want a chat completion`)
	}
	if err := CheckChatChoices(obj); err != nil {
		if carriesError(obj) {
			return nil, target.Usage{}, fmt.Errorf("status %d but the body is an error: %s", ex.Status, snippet(ex.Body))
		}
		return nil, target.Usage{}, err
	}
	u, err := CheckChatUsage(obj)
	if err != nil {
		return nil, target.Usage{}, err
	}
	return obj, u, nil
}

// CheckServed is Completion for callers that need only the verdict.
func CheckServed(ex *target.Exchange) error {
	_, err := Completion(ex)
	return err
}

// CheckChatEnvelope is CHAT-1: 200, application/json, a JSON object.
func CheckChatEnvelope(ex *target.Exchange) error {
	_, err := chatEnvelope(ex)
	return err
}

// chatEnvelope is CheckChatEnvelope returning the object it decoded.
func chatEnvelope(ex *target.Exchange) (Object, error) {
	if err := CheckStatus(ex, http.StatusOK); err != nil {
		return nil, err
	}
	if err := CheckJSONContentType(ex.Header); err != nil {
		return nil, err
	}
	return bodyObject(ex)
}

// CheckChatChoices is CHAT-2: choices non-empty, choices[0].message.content a string.
func CheckChatChoices(obj Object) error {
	choices, ok := obj["choices"].([]any)
	if !ok {
		return fmt.Errorf("choices is %s, want an array", Kind(obj["choices"]))
	}
	if len(choices) == 0 {
		return errors.New("choices is empty")
	}
	first, ok := choices[0].(map[string]any)
	if !ok {
		return fmt.Errorf("choices[0] is %s, want an object", Kind(choices[0]))
	}
	msg, ok := first["message"].(map[string]any)
	if _, hasText := first["text"]; !ok && hasText {
		return errors.New("choices[0] has text but no message: the legacy completion shape, want a chat completion")
	}
	if !ok {
		return fmt.Errorf("choices[0].message is %s, want an object", Kind(first["message"]))
	}
	if _, ok := msg["content"].(string); !ok {
		return fmt.Errorf("choices[0].message.content is %s, want a string", Kind(msg["content"]))
	}
	return nil
}

// CheckChatUsage is CHAT-3: integer token counts >= 0, total = prompt + completion.
func CheckChatUsage(obj Object) (target.Usage, error) {
	u, ok := obj["usage"].(map[string]any)
	if !ok {
		return target.Usage{}, fmt.Errorf("usage is %s, want an object", Kind(obj["usage"]))
	}
	var counts [3]int
	for i, name := range []string{"prompt_tokens", "completion_tokens", "total_tokens"} {
		n, err := nonNegativeInt(u[name])
		if err != nil {
			return target.Usage{}, fmt.Errorf("usage.%s %v", name, err)
		}
		counts[i] = n
	}
	usage := target.Usage{PromptTokens: counts[0], CompletionTokens: counts[1], TotalTokens: counts[2]}
	if usage.TotalTokens != usage.PromptTokens+usage.CompletionTokens {
		return usage, fmt.Errorf("usage.total_tokens %d != prompt_tokens %d + completion_tokens %d",
			usage.TotalTokens, usage.PromptTokens, usage.CompletionTokens)
	}
	return usage, nil
}

// CheckChatFields is CHAT-4: the customary OpenAI chat.completion fields.
func CheckChatFields(obj Object) error {
	var problems []string
	if s, ok := obj["id"].(string); !ok || s == "" {
		problems = append(problems, fmt.Sprintf("id is %s, want a non-empty string", Kind(obj["id"])))
	}
	if s, _ := obj["object"].(string); s != "chat.completion" {
		problems = append(problems, fmt.Sprintf("object is %s, want \"chat.completion\"", Show(obj["object"])))
	}
	if _, err := Integer(obj["created"]); err != nil {
		problems = append(problems, "created "+err.Error())
	}
	if _, ok := obj["model"].(string); !ok {
		problems = append(problems, fmt.Sprintf("model is %s, want a string", Kind(obj["model"])))
	}
	first, ok := FirstChoice(obj)
	if !ok {
		problems = append(problems, "no choices[0]")
	} else {
		if n, err := Integer(first["index"]); err != nil || n != 0 {
			problems = append(problems, fmt.Sprintf("choices[0].index is %s, want 0", Show(first["index"])))
		}
		msg, _ := first["message"].(map[string]any)
		if role, _ := msg["role"].(string); role != "assistant" {
			problems = append(problems, fmt.Sprintf("choices[0].message.role is %s, want \"assistant\"", Show(msg["role"])))
		}
		if _, ok := first["finish_reason"].(string); !ok {
			problems = append(problems, fmt.Sprintf("choices[0].finish_reason is %s, want a string", Kind(first["finish_reason"])))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// CheckModelsList is MODELS-1: object "list" and data holding exactly one entry,
// which it returns.
func CheckModelsList(ex *target.Exchange) (Object, error) {
	if err := CheckStatus(ex, http.StatusOK); err != nil {
		return nil, err
	}
	if err := CheckJSONContentType(ex.Header); err != nil {
		return nil, err
	}
	obj, err := bodyObject(ex)
	if err != nil {
		return nil, err
	}
	if s, _ := obj["object"].(string); s != "list" {
		return nil, fmt.Errorf("object is %s, want \"list\"", Show(obj["object"]))
	}
	data, ok := obj["data"].([]any)
	if !ok {
		return nil, fmt.Errorf("data is %s, want an array", Kind(obj["data"]))
	}
	if len(data) != 1 {
		return nil, fmt.Errorf("data holds %d entries, want exactly 1 (the model behind the key)", len(data))
	}
	entry, ok := data[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("data[0] is %s, want an object", Kind(data[0]))
	}
	return entry, nil
}

// ModelIDs reads the ids a models body lists, without judging the shape; for
// comparing lists (ROUTE-5) and binding (MODEL-4).
func ModelIDs(body []byte) ([]string, error) {
	var v struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("models body is not a JSON list (%v): %s", err, snippet(body))
	}
	ids := make([]string, len(v.Data))
	for i, d := range v.Data {
		ids[i] = d.ID
	}
	return ids, nil
}

// CheckModelEntry is MODELS-2: a non-empty string id and object "model".
func CheckModelEntry(entry Object) error {
	if s, ok := entry["id"].(string); !ok || s == "" {
		return fmt.Errorf("data[0].id is %s, want a non-empty string", Show(entry["id"]))
	}
	if s, _ := entry["object"].(string); s != "model" {
		return fmt.Errorf("data[0].object is %s, want \"model\"", Show(entry["object"]))
	}
	return nil
}

// CheckModelFields is MODELS-3: an integer created and a string owned_by.
func CheckModelFields(entry Object) error {
	if _, err := Integer(entry["created"]); err != nil {
		return fmt.Errorf("data[0].created %v", err)
	}
	if _, ok := entry["owned_by"].(string); !ok {
		return fmt.Errorf("data[0].owned_by is %s, want a string", Kind(entry["owned_by"]))
	}
	return nil
}

// CheckErrorEnvelope is ERR-2: a JSON {"error":{"message":"..."}} with a
// non-empty message; type, code and param are free.
func CheckErrorEnvelope(ex *target.Exchange) error {
	obj, err := bodyObject(ex)
	if err != nil {
		return fmt.Errorf("status %d: %v", ex.Status, err)
	}
	e, ok := obj["error"].(map[string]any)
	if !ok {
		return fmt.Errorf("status %d: error is %s, want an object {\"message\": ...}: %s", ex.Status, Kind(obj["error"]), snippet(ex.Body))
	}
	if m, ok := e["message"].(string); !ok || strings.TrimSpace(m) == "" {
		return fmt.Errorf("status %d: error.message is %s, want a non-empty string", ex.Status, Show(e["message"]))
	}
	return nil
}

// CheckNotAnErrorAs200 is ERR-1: a 200 answer to chat is a chat completion,
// and anything else is refused with a 4xx or 5xx status.
func CheckNotAnErrorAs200(ex *target.Exchange) error {
	if is2xx(ex.Status) {
		if err := CheckServed(ex); err != nil {
			return fmt.Errorf("a refusal answered as success: %v", err)
		}
		return nil
	}
	if ex.Status < 400 || ex.Status > 599 {
		return fmt.Errorf("status %d: a refusal must use a 4xx status%s", ex.Status, bodyHint(ex))
	}
	return nil
}

// RateLimitHeaders picks the X-RateLimit-* and RateLimit-* headers (RATE-5).
func RateLimitHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		if target.IsRateLimitHeader(k) {
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

// carriesError tells whether a body holds an error: an "error" field with
// something in it. An empty one (null, false, "", {}) is no error: servers
// whose replies share one envelope write it beside a success.
func carriesError(obj Object) bool {
	switch e := obj["error"].(type) {
	case nil:
		return false
	case bool:
		return e
	case string:
		return e != ""
	case map[string]any:
		return len(e) > 0
	}
	return true
}

func is2xx(status int) bool { return status >= 200 && status < 300 }

func FirstChoice(obj Object) (map[string]any, bool) {
	choices, _ := obj["choices"].([]any)
	if len(choices) == 0 {
		return nil, false
	}
	first, ok := choices[0].(map[string]any)
	return first, ok
}

// Integer reads a JSON integer (12 and 12.0 alike).
func Integer(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("is %s, want an integer", Kind(v))
	}
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	// 12.0 and 1.2e1 are integers too: a JSON number with no fractional part,
	// as the SDKs read it.
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("is %s, want an integer", n)
	}
	return int64(f), nil
}

func nonNegativeInt(v any) (int, error) {
	i, err := Integer(v)
	if err != nil {
		return 0, err
	}
	if i < 0 {
		return 0, fmt.Errorf("is %d, want >= 0", i)
	}
	return int(i), nil
}

// kind names a JSON value's type for messages.
func Kind(v any) string {
	switch v := v.(type) {
	case nil:
		return "missing or null"
	case string:
		return "a string"
	case json.Number:
		return "a number (" + v.String() + ")"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// show is a value for messages: strings quoted, the rest by kind.
func Show(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case json.Number:
		return v.String()
	}
	return Kind(v)
}

// snippet is the start of a body for a one-line message.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

func bodyHint(ex *target.Exchange) string {
	if len(ex.Body) == 0 {
		return ""
	}
	return ": " + snippet(ex.Body)
}
