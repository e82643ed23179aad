package judge

import (
	"net/http"
	"strings"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// modelsListCases are bodies on both sides of MODELS-1, and on the edges
// where a fast scan could part from encoding/json.
var modelsListCases = []string{
	goodModels,
	`{"object":"list","data":[{}]}`,
	`{"data":[{"id":"m"}],"object":"list","extra":{"a":[1,2,{"b":null}]}}`,
	" \t\r\n{ \"object\" : \"list\" , \"data\" : [ { \"id\" : \"m\" } ] } \n",
	`{"object":"list","data":[]}`,
	`{"object":"list","data":[{"id":"a"},{"id":"b"}]}`,
	`{"object":"list","data":[{"id":"a"},]}`,
	`{"object":"list","data":["m"]}`,
	`{"object":"list","data":[null]}`,
	`{"object":"list","data":[[]]}`,
	`{"object":"list","data":[1]}`,
	`{"object":"list","data":{"id":"m"}}`,
	`{"object":"list","data":null}`,
	`{"object":"list"}`,
	`{"data":[{"id":"m"}]}`,
	`{"object":"List","data":[{"id":"m"}]}`,
	`{"object":"model","data":[{"id":"m"}]}`,
	`{"object":null,"data":[{"id":"m"}]}`,
	`{"object":1,"data":[{"id":"m"}]}`,
	`{"object":["list"],"data":[{"id":"m"}]}`,
	`{"object":"li\u0073t","data":[{"id":"m"}]}`,
	`{"object":"list\ud800","data":[{"id":"m"}]}`,
	`{"object":"list\u0000","data":[{"id":"m"}]}`,
	`{"obj\u0065ct":"list","data":[{"id":"m"}]}`,
	`{"object\ud800":"list","data":[{"id":"m"}]}`,
	`{"OBJECT":"list","data":[{"id":"m"}]}`,
	`{"object":"list","object":"model","data":[{"id":"m"}]}`,
	`{"object":"model","object":"list","data":[{"id":"m"}]}`,
	`{"object":"list","obj\u0065ct":"model","data":[{"id":"m"}]}`,
	`{"object":"list","data":[{"id":"m"}],"data":[]}`,
	`{"object":"list","data":[],"data":[{"id":"m"}]}`,
	`{"object":"list","data":[{"id":"m","id":"n"}]}`,
	`{"object":"list","data":[{"created":1e400}]}`,
	`{"object":"list","data":[{"created":01}]}`,
	`{"object":"list","data":[{"created":-0.5E+3}]}`,
	`{"object":"list","data":[{"created":1.}]}`,
	`{"object":"list","data":[{"created":-}]}`,
	`{"object":"list","data":[{"id":"bad \x escape"}]}`,
	"{\"object\":\"list\",\"data\":[{\"id\":\"tab\there\"}]}",
	"{\"object\":\"list\",\"data\":[{\"id\":\"\xff\xfe\"}]}",
	"\xef\xbb\xbf" + goodModels,
	goodModels + ` {}`,
	goodModels + `}`,
	goodModels + `]`,
	goodModels + `x`,
	goodModels[:len(goodModels)-1],
	`{"error":{"message":"overloaded"}}`,
	`not json`, ``, ` `, `[]`, `null`, `"list"`, `1`,
	`{"object":"list","data":[{}],"deep":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	`{"object":"list","data":[{}],"deep":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}`,
	`{"object":"list","data":[` + strings.Repeat(`{"a":`, 10001) + `1` + strings.Repeat("}", 10001) + `]}`,
}

// ReadModelsList gives CheckModelsList's verdict and message on every case,
// with the usual and unusual content types and statuses.
func TestReadModelsListAgreesWithCheckModelsList(t *testing.T) {
	accepted := 0
	for _, body := range modelsListCases {
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain", ""} {
			for _, status := range []int{200, 201, 404} {
				if assertModelsListAgrees(t, status, ct, []byte(body)) {
					accepted++
				}
			}
		}
	}
	if accepted == 0 {
		t.Fatal("no case is a models list: the agreement proves nothing")
	}
}

// The fast path takes the lists servers write, without allocating.
func TestFastModelsListTakesPlainLists(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		h := http.Header{"Content-Type": {ct}}
		for _, c := range modelsListCases[:4] {
			body := []byte(c)
			if !fastModelsList(200, h, body) {
				t.Errorf("%q, %s: the fast path declined a plain list", body, ct)
			}
			if n := testing.AllocsPerRun(10, func() { _ = ReadModelsList(200, h, body) }); n != 0 {
				t.Errorf("%q: %v allocations per reply, want 0", body, n)
			}
		}
	}
}

// assertModelsListAgrees fails t unless ReadModelsList and CheckModelsList
// agree on the reply; it reports whether they accepted it.
func assertModelsListAgrees(t *testing.T, status int, ct string, body []byte) bool {
	t.Helper()
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	_, want := CheckModelsList(&target.Exchange{Status: status, Header: h, Body: body})
	got := ReadModelsList(status, h, body)
	if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
		t.Fatalf("status %d, %q, %.200q: ReadModelsList %v; CheckModelsList %v", status, ct, body, got, want)
	}
	return got == nil
}

func FuzzReadModelsList(f *testing.F) {
	fuzzJSONBodies(f, modelsListCases, func(t *testing.T, body []byte) { assertModelsListAgrees(t, 200, "application/json", body) })
}

func BenchmarkReadModelsList(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}}
	body := []byte(goodModels)
	ex := &target.Exchange{Status: 200, Header: h, Body: body}
	benchFastAndFull(b, "CheckModelsList",
		func() error { return ReadModelsList(200, h, body) },
		func() error { _, err := CheckModelsList(ex); return err })
}
