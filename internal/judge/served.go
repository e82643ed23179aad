package judge

import (
	"bytes"
	"net/http"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Served is what a load run reads of a served chat call: its usage and the
// first choice's finish reason.
type Served struct {
	Usage        target.Usage
	FinishReason string
}

// ReadCompletion is Completion for the hot path of a load run, which judges
// every reply: the same verdict and usage, plus the finish reason. A fast
// scan (gjson, no allocation per field) accepts only replies it can prove to
// be completions by Completion's own rules; anything else, or anything it
// cannot be sure of (a duplicated key, a number written 12.0), goes to
// Completion itself, so there is still one definition and its messages.
func ReadCompletion(status int, header http.Header, body []byte) (Served, error) {
	if s, ok := fastCompletion(status, header, body); ok {
		return s, nil
	}
	u, err := Completion(&target.Exchange{Status: status, Header: header, Body: body})
	if err != nil {
		return Served{}, err
	}
	s := Served{Usage: u}
	if obj, err := DecodeObject(body); err == nil {
		if first, ok := FirstChoice(obj); ok {
			s.FinishReason, _ = first["finish_reason"].(string)
		}
	}
	return s, nil
}

// fastCompletion reports ok only when Completion would accept the reply
// with the same usage; ok false says nothing (the caller asks Completion).
func fastCompletion(status int, header http.Header, body []byte) (Served, bool) {
	root, ok := fastObject(status, header, body)
	if !ok {
		return Served{}, false
	}
	fields, ok := uniqueFields(root, "object", "choices", "usage")
	if !ok {
		return Served{}, false
	}
	if o := fields[0]; o.Type == gjson.String && o.Str == "text_completion" {
		return Served{}, false
	}
	choices := fields[1]
	if !choices.IsArray() {
		return Served{}, false
	}
	first := choices.Get("0")
	if !first.IsObject() {
		return Served{}, false
	}
	cf, ok := uniqueFields(first, "message", "finish_reason")
	if !ok || !cf[0].IsObject() {
		return Served{}, false
	}
	content, ok := uniqueFields(cf[0], "content")
	if !ok || content[0].Type != gjson.String {
		return Served{}, false
	}
	usage := fields[2]
	if !usage.IsObject() {
		return Served{}, false
	}
	counts, ok := uniqueFields(usage, "prompt_tokens", "completion_tokens", "total_tokens")
	if !ok {
		return Served{}, false
	}
	var n [3]int
	for i, c := range counts {
		if n[i], ok = plainCount(c); !ok {
			return Served{}, false
		}
	}
	if n[2] != n[0]+n[1] {
		return Served{}, false
	}
	s := Served{Usage: target.Usage{PromptTokens: n[0], CompletionTokens: n[1], TotalTokens: n[2]}}
	if fr := cf[1]; fr.Type == gjson.String {
		s.FinishReason = finishReason(fr.Str)
	}
	return s, true
}

// fastObject is the envelope both fast paths share: status 200, a plain JSON
// content type, and a body that is one JSON object encoding/json would
// decode too. It scans the body in place: the body is read only while
// judged (gjson.ParseBytes would copy it), so what outlives the call must be
// cloned from it. ok false says nothing (the caller asks the full check).
func fastObject(status int, header http.Header, body []byte) (gjson.Result, bool) {
	if status != http.StatusOK || !plainJSONContentType(header) || tooDeep(body) || !gjson.ValidBytes(body) {
		return gjson.Result{}, false
	}
	root := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body)))
	return root, root.IsObject()
}

// tooDeep tells whether a body could nest deeper than encoding/json allows
// (10000 levels), which gjson's validator does not bound.
func tooDeep(body []byte) bool {
	const maxDepth = 10000
	return len(body) > maxDepth && bytes.Count(body, []byte{'{'})+bytes.Count(body, []byte{'['}) >= maxDepth
}

// uniqueFields looks names up in an object; ok is false when one of them
// appears twice (encoding/json keeps the last, gjson the first: not ours to
// settle here).
func uniqueFields(obj gjson.Result, names ...string) (fields [maxFields]gjson.Result, ok bool) {
	if len(names) > maxFields {
		panic("judge: uniqueFields looks up at most maxFields names")
	}
	var seen [maxFields]bool
	ok = true
	obj.ForEach(func(k, v gjson.Result) bool {
		for i, name := range names {
			if k.Str == name {
				if seen[i] {
					ok = false
					return false
				}
				seen[i], fields[i] = true, v
			}
		}
		return ok
	})
	return fields, ok
}

// finishReason is fr as a string of its own (fr aliases the body): the
// reasons servers write are constants, any other is copied.
func finishReason(fr string) string {
	for _, known := range [...]string{"stop", "length", "tool_calls", "content_filter", "function_call"} {
		if fr == known {
			return known
		}
	}
	return strings.Clone(fr)
}

// maxFields bounds uniqueFields' names, so its results live on the stack.
const maxFields = 3

// plainCount reads a JSON number written as a plain non-negative integer of
// at most 15 digits (every usage count a server writes); other spellings go
// to the slow path.
func plainCount(v gjson.Result) (int, bool) {
	if v.Type != gjson.Number || len(v.Raw) == 0 || len(v.Raw) > 15 || (v.Raw[0] == '0' && len(v.Raw) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v.Raw); i++ {
		c := v.Raw[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// plainJSONContentType accepts the spellings servers use without parsing;
// others go to the slow path's parser.
func plainJSONContentType(h http.Header) bool {
	vs := h["Content-Type"]
	if len(vs) == 0 {
		return false
	}
	ct := vs[0]
	return ct == "application/json" || strings.EqualFold(ct, "application/json; charset=utf-8")
}
