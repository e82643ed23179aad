package judge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// The expectations below judge one reply (or a reply against a reference)
// for one clause. They are what the suite's rows name; each returns nil when
// the clause holds, an error wrapping ErrCannotTell when the reply belongs to
// another clause's failure (a chat call that was not served cannot tell
// whether max_tokens was honoured), else the violation in one line.

// ErrCannotTell marks a reply the clause cannot be judged on.
var ErrCannotTell = errors.New("cannot tell")

func cannotTell(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCannotTell}, args...)...)
}

// ServedNotStreamed is CHAT-8: stream: true is answered as one JSON chat
// completion, never as server-sent events.
func ServedNotStreamed(ex *target.Exchange) error {
	if IsEventStream(ex.Header) {
		return errors.New("stream: true was answered as text/event-stream; streaming is not supported, so the full JSON completion is due")
	}
	return CheckServed(ex)
}

// CompletionEnvelope is CHAT-1 on a reply that should be served: a 2xx must
// be 200, JSON and an object. A refusal is the business of the clause whose
// call it was.
func CompletionEnvelope(ex *target.Exchange) error {
	if !is2xx(ex.Status) {
		return cannotTell("answered %d, not a 2xx", ex.Status)
	}
	return CheckChatEnvelope(ex)
}

// CompletionChoices is CHAT-2 on a 2xx JSON object.
func CompletionChoices(ex *target.Exchange) error {
	obj, err := served2xxObject(ex)
	if err != nil {
		return err
	}
	return CheckChatChoices(obj)
}

// CompletionUsage is CHAT-3 on a 2xx JSON object; it returns the usage read.
func CompletionUsage(ex *target.Exchange) (target.Usage, error) {
	obj, err := served2xxObject(ex)
	if err != nil {
		return target.Usage{}, err
	}
	return CheckChatUsage(obj)
}

// CompletionFields is CHAT-4 on a served reply.
func CompletionFields(ex *target.Exchange) error {
	obj, err := completion(ex)
	if err != nil {
		return err
	}
	return CheckChatFields(obj)
}

// ModelBinding is MODEL-4: the model a served reply names is the id the
// models list gives, whatever the request named.
func ModelBinding(list, reply *target.Exchange) error {
	ids, err := ModelIDs(list.Body)
	if err != nil || list.Status != http.StatusOK || len(ids) == 0 || ids[0] == "" {
		return cannotTell("the models list is unreadable (see ROUTE-4, MODELS-1)")
	}
	obj, err := completion(reply)
	if err != nil {
		return err
	}
	if got, _ := obj["model"].(string); got != ids[0] {
		return fmt.Errorf("the request named %s and the response says model %s; models lists %q",
			requestedModel(reply.RequestBody), Show(obj["model"]), ids[0])
	}
	return nil
}

// requestedModel names the model a chat request body asked for.
func requestedModel(body []byte) string {
	var req struct {
		Model *string `json:"model"`
	}
	if json.Unmarshal(body, &req) != nil || req.Model == nil {
		return "no model"
	}
	return fmt.Sprintf("%q", *req.Model)
}

// MaxTokensHonoured is CHAT-6: a served reply to a request with max_tokens
// has completion_tokens <= max_tokens.
func MaxTokensHonoured(ex *target.Exchange) error {
	var req struct {
		MaxTokens int `json:"max_tokens"`
	}
	if json.Unmarshal(ex.RequestBody, &req) != nil || req.MaxTokens <= 0 {
		return cannotTell("the request carried no max_tokens")
	}
	obj, err := completion(ex)
	if err != nil {
		return err
	}
	usage, _ := obj["usage"].(map[string]any)
	n, err := Integer(usage["completion_tokens"])
	if err != nil {
		return cannotTell("usage.completion_tokens is unreadable (see CHAT-3)")
	}
	if n > int64(req.MaxTokens) {
		return fmt.Errorf("max_tokens %d, but usage.completion_tokens is %d", req.MaxTokens, n)
	}
	return nil
}

// JSONContent is CHAT-7's observation: whether a served json_object reply's
// content parses as JSON.
func JSONContent(ex *target.Exchange) (string, error) {
	obj, err := completion(ex)
	if err != nil {
		return "", err
	}
	first, _ := FirstChoice(obj)
	msg, _ := first["message"].(map[string]any)
	content, _ := msg["content"].(string)
	if json.Valid([]byte(content)) {
		return "json_object content is JSON", nil
	}
	return fmt.Sprintf("json_object content is not JSON: %.60q", content), nil
}

// ModelsAnswer is ROUTE-4: the models path answers 200 with a JSON object
// (its shape is MODELS-1's).
func ModelsAnswer(ex *target.Exchange) error {
	if err := CheckStatus(ex, http.StatusOK); err != nil {
		return err
	}
	_, err := bodyObject(ex)
	return err
}

// SameModelList is ROUTE-5: another models path answers the list the
// reference path (ROUTE-4's) gives.
func SameModelList(ref, ex *target.Exchange) error {
	if err := CheckStatus(ex, http.StatusOK); err != nil {
		return err
	}
	got, err := ModelIDs(ex.Body)
	if err != nil {
		return err
	}
	want, err := ModelIDs(ref.Body)
	if err != nil || ref.Status != http.StatusOK {
		return nil // the reference is ROUTE-4's to judge; this path answers a list
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s lists %q, %s lists %q", pathOf(ex), got, pathOf(ref), want)
	}
	return nil
}

// ModelsEntry is data[0] of a models reply, for MODELS-2 and MODELS-3; a
// reply that is no list is MODELS-1's (or ROUTE's) to judge.
func ModelsEntry(ex *target.Exchange) (Object, error) {
	if ex.Status != http.StatusOK {
		return nil, cannotTell("answered %d (see ROUTE-4, ROUTE-5)", ex.Status)
	}
	obj, err := bodyObject(ex)
	if err != nil {
		return nil, cannotTell("not a JSON object (see MODELS-1)")
	}
	data, _ := obj["data"].([]any)
	if len(data) == 0 {
		return nil, fmt.Errorf("data is %s, want an array holding the model", Kind(obj["data"]))
	}
	entry, ok := data[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("data[0] is %s, want an object", Kind(data[0]))
	}
	return entry, nil
}

// Refused wants the refusal's status: 401 for a bad credential, 402 for an
// out-of-tokens key, 403 for a forbidden or locked one.
func Refused(ex *target.Exchange, status int) error {
	if ex.Status == status {
		return nil
	}
	if is2xx(ex.Status) {
		if CheckServed(ex) == nil {
			return fmt.Errorf("served (status %d), want %d", ex.Status, status)
		}
		if ex.Method == http.MethodGet {
			if _, err := CheckModelsList(ex); err == nil {
				return fmt.Errorf("served the models list (status %d), want %d", ex.Status, status)
			}
		}
		return fmt.Errorf("status %d (not even a completion), want %d%s", ex.Status, status, bodyHint(ex))
	}
	return CheckStatus(ex, status)
}

// ErrorEnvelope is ERR-2 on any reply: a 4xx must carry the OpenAI error
// envelope; another status cannot tell.
func ErrorEnvelope(ex *target.Exchange) error {
	if ex.Status < 400 || ex.Status > 499 {
		return cannotTell("answered %d, not a 4xx", ex.Status)
	}
	return CheckErrorEnvelope(ex)
}

// Malformed is ERR-3: a malformed request gets a 4xx, never a 5xx (nor a
// success).
func Malformed(ex *target.Exchange) error {
	if ex.Status >= 400 && ex.Status <= 499 {
		return nil
	}
	return fmt.Errorf("a malformed request got %d %s, want a 4xx%s", ex.Status, http.StatusText(ex.Status), bodyHint(ex))
}

// NotAnErrorAs200 is ERR-1 on a refused call: a 2xx must be a chat
// completion (serving it is the refusing clause's business), anything else a
// 4xx or 5xx.
func NotAnErrorAs200(ex *target.Exchange) error { return CheckNotAnErrorAs200(ex) }

// completion is the body of a served reply, or why the clause cannot tell.
func completion(ex *target.Exchange) (Object, error) {
	obj, _, err := servedObject(ex)
	if err != nil {
		return nil, cannotTell("the chat call was not served: %v", err)
	}
	return obj, nil
}

// served2xxObject is the body of a 2xx JSON object reply, or why CHAT-2/3
// cannot tell (a refusal, or a body CHAT-1 rejects).
func served2xxObject(ex *target.Exchange) (Object, error) {
	if !is2xx(ex.Status) {
		return nil, cannotTell("answered %d, not a 2xx", ex.Status)
	}
	obj, err := bodyObject(ex)
	if err != nil {
		return nil, cannotTell("%v (see CHAT-1)", err)
	}
	return obj, nil
}

// pathOf is an exchange's URL path, for messages.
func pathOf(ex *target.Exchange) string {
	u := ex.URL
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.Index(u, "/"); j >= 0 {
			u = u[j:]
		}
	}
	return "GET " + u
}

// RefusedOnRoute is Refused on a request whose fate for the run's own key
// is known (route: the same path and body with the key): a 404 there too is
// the route's failure (ROUTE-*), and any other refusal the run's key gets as
// well is the request's (a target that validates the body before the key,
// rejecting stream: true, say), judged by that request's own clause, not the
// key's. A 404 only without a good key hides a route from the caller instead
// of refusing it.
func RefusedOnRoute(ex, route *target.Exchange, status int) error {
	switch {
	case ex.Status == http.StatusNotFound && route.Status == http.StatusNotFound:
		return cannotTell("the path answers 404 to the run's key too (see ROUTE-*)")
	case ex.Status != status && ex.Status >= 400 && ex.Status == route.Status:
		return cannotTell("the run's key gets %d for this request too: it is refused whatever the key (its own clause judges it)", ex.Status)
	}
	return Refused(ex, status)
}

// RefusedInScheme is Refused for a key sent with the scheme spelled
// otherwise ("bearer KEY"), against the run's own key sent so on the same
// path (scheme; nil when the run did not send it). A 401 refuses the
// spelling, not the key, when the run's key gets 401 too: AUTH-5's failure,
// judged there. A 401 while the run's key is served in that spelling is the
// key's wrong refusal. It returns the note of an excused 401.
func RefusedInScheme(ex, scheme *target.Exchange, status int) (string, error) {
	if ex.Status == http.StatusUnauthorized && status != http.StatusUnauthorized && (scheme == nil || scheme.Status == http.StatusUnauthorized) {
		return "401: the scheme refused (AUTH-5 judges it)", nil
	}
	if scheme == nil {
		return "", Refused(ex, status)
	}
	return "", RefusedOnRoute(ex, scheme, status)
}

// ServedOnRoute wants models answered (200) for a key that must list them
// (AUTH-5's lower-case scheme, MODELS-4's out-of-tokens key), unless the
// path is missing for the run's key too.
func ServedOnRoute(ex, route *target.Exchange) error {
	if ex.Status == http.StatusNotFound && route.Status == http.StatusNotFound {
		return cannotTell("the path answers 404 to the run's key too (see ROUTE-4, ROUTE-5)")
	}
	return CheckStatus(ex, http.StatusOK)
}

// ModelsList is MODELS-1 on a models path that routes: a 404 is the route's
// failure (ROUTE-4, ROUTE-5), not the list's.
func ModelsList(ex *target.Exchange) (Object, error) {
	if ex.Status == http.StatusNotFound {
		return nil, cannotTell("the path answers 404 (see ROUTE-4, ROUTE-5)")
	}
	return CheckModelsList(ex)
}

// NotAnErrorAs200Models is ERR-1 on a refused models call: a 2xx must be a
// models list (serving it is the refusing clause's business), never an error
// written as success.
func NotAnErrorAs200Models(ex *target.Exchange) error {
	if !is2xx(ex.Status) {
		return NotAnErrorAs200(ex)
	}
	obj, err := bodyObject(ex)
	if err != nil {
		return fmt.Errorf("a refusal answered as success: %v", err)
	}
	if carriesError(obj) {
		return fmt.Errorf("status %d but the body is an error: %s", ex.Status, snippet(ex.Body))
	}
	if _, ok := obj["data"].([]any); !ok {
		return fmt.Errorf("status %d but the body is no models list: %s", ex.Status, snippet(ex.Body))
	}
	return nil
}
