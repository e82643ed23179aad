package load

import (
	"net/http"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Models replies are classified by judge.CheckModelsList's verdict and
// message, whether the fast scan or the full check decides.
func TestClassifyModels(t *testing.T) {
	for _, c := range []struct {
		name, body, ct string
		outcome        Outcome
		err            string
	}{
		{"a plain list", `{"object":"list","data":[{"id":"m","object":"model"}]}`, "application/json", Success, ""},
		{"a charset, escapes", `{"object":"li\u0073t","data":[{"id":"m"}]}`, "application/json; charset=utf-8", Success, ""},
		{"two entries", `{"object":"list","data":[{"id":"a"},{"id":"b"}]}`, "application/json",
			Failure, "not a models list: data holds 2 entries, want exactly 1 (the model behind the key)"},
		{"a duplicated object", `{"object":"list","object":"model","data":[{"id":"m"}]}`, "application/json",
			Failure, `not a models list: object is "model", want "list"`},
		{"text/plain", `{"object":"list","data":[{"id":"m"}]}`, "text/plain",
			Failure, `not a models list: Content-Type "text/plain", want application/json`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &Hit{Result: &vegeta.Result{Code: 200, Body: []byte(c.body), Headers: http.Header{"Content-Type": {c.ct}}}, BodyIndex: -1}
			h.Classify(true)
			wantClass := ""
			if c.outcome != Success {
				wantClass = ClassNotModelsList
			}
			if h.Outcome != c.outcome || h.ErrorClass != wantClass || h.Error != c.err {
				t.Errorf("outcome %v, class %q, error %q; want %v, %q, %q", h.Outcome, h.ErrorClass, h.Error, c.outcome, wantClass, c.err)
			}
		})
	}
}
