package judge

import (
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// ReadModelsList is CheckModelsList's verdict for the hot path of a load
// run, which judges every reply: nil iff CheckModelsList accepts, else its
// error. A fast scan accepts, without allocating, only lists it can prove
// CheckModelsList accepts; anything else, or anything it cannot be sure of
// (a duplicated key, an escaped "list"), goes to CheckModelsList itself, so there is still one
// definition and its messages.
func ReadModelsList(status int, header http.Header, body []byte) error {
	if fastModelsList(status, header, body) {
		return nil
	}
	_, err := CheckModelsList(&target.Exchange{Status: status, Header: header, Body: body})
	return err
}

// fastModelsList reports true only when CheckModelsList would accept the
// reply; false says nothing (the caller asks CheckModelsList).
func fastModelsList(status int, header http.Header, body []byte) bool {
	root, ok := fastObject(status, header, body)
	if !ok {
		return false
	}
	fields, ok := uniqueFields(root, "object", "data")
	if !ok {
		return false
	}
	// "list" as written: an escaped spelling is left to encoding/json.
	if fields[0].Raw != `"list"` {
		return false
	}
	data := fields[1]
	if !data.IsArray() {
		return false
	}
	var first gjson.Result
	entries := 0
	data.ForEach(func(_, v gjson.Result) bool {
		first = v
		entries++
		return entries < 2
	})
	return entries == 1 && first.IsObject()
}
