package load

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// A target answering 200 with a body that is not a chat completion fails
// every call, with its own class, in the summary, the thresholds and the
// vegeta results file.
func TestRunJudgesEveryReply(t *testing.T) {
	for _, c := range []struct {
		name, contentType, body, class, want string
	}{
		{"invalid JSON", "application/json", `{"choices":[`, ClassNotCompletion, "body is not JSON"},
		{"error object", "application/json", `{"error":{"message":"overloaded"}}`, ClassNotCompletion, "the body is an error"},
		{"no usage", "application/json", `{"choices":[{"message":{"content":"hi"}}]}`, ClassNotCompletion, "usage is missing"},
		{"health page", "text/html", `<html>ok</html>`, ClassNotCompletion, "Content-Type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			plan := Plan{Root: target.MustParseBaseURL(srv.URL + "/ai/v1"), Path: "chat", Keys: []string{"cai_testkey0001"},
				Profile: must(Constant(100, 200*time.Millisecond)), Timeout: 5 * time.Second,
				Bodies: ChatBodies([][]target.Message{Prompt("hi")}, 4)}
			var buf bytes.Buffer
			res, err := Run(context.Background(), plan, WithSinks(BinaryOutput(&buf)))
			if err != nil {
				t.Fatal(err)
			}
			s := res.Summary
			if s.Requests == 0 || s.Successes != 0 || s.Failures != s.Requests || s.StatusCodes[200] != s.Requests {
				t.Fatalf("%d requests, %d successes, %d failures, codes %v", s.Requests, s.Successes, s.Failures, s.StatusCodes)
			}
			if s.ErrorClasses[c.class] != s.Requests || len(s.Errors) == 0 || !strings.Contains(s.Errors[0], c.want) {
				t.Errorf("classes %v, errors %q, want every call %q saying %q", s.ErrorClasses, s.Errors, c.class, c.want)
			}
			for expr, pass := range map[string]bool{"success>0%": false, "errors==0": false, "not_completions==0": false, "p99<1h": false} {
				th, err := ParseThreshold(expr)
				if err != nil {
					t.Fatal(err)
				}
				if r := th.Check(&s); r.Pass != pass {
					t.Errorf("%s: pass %v, want %v", expr, r.Pass, pass)
				}
			}
			var r vegeta.Result
			if err := vegeta.NewDecoder(&buf).Decode(&r); err != nil || !strings.HasPrefix(r.Error, c.class+": ") {
				t.Errorf("results file: %v, error %q, want it to start %q", err, r.Error, c.class)
			}
		})
	}
}

// Models replies are judged as a list.
func TestRunJudgesModelsReplies(t *testing.T) {
	srv := startServer(t, fixtures.WithDeviations("models-two-entries"))
	plan := Plan{Root: srv.Root(), Path: "models", Keys: []string{srv.Keys().Valid}, Profile: must(Constant(50, 200*time.Millisecond))}
	res, err := Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Summary; s.Requests == 0 || s.ErrorClasses[ClassNotModelsList] != s.Requests {
		t.Errorf("%d requests, classes %v", s.Requests, s.ErrorClasses)
	}
}
