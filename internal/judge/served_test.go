package judge

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// servedCases are bodies on both sides of the definition, and on the edges
// where a fast scan could part from encoding/json.
var servedCases = []string{
	goodChat,
	`{"choices":[{"message":{"content":""}}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`,
	`{"choices":[{"message":{"content":"x"},"finish_reason":"length"}],"usage":{"prompt_tokens":12.0,"completion_tokens":1e1,"total_tokens":22}}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":3}}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":-1,"completion_tokens":1,"total_tokens":0}}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":"1","completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":01,"completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1.5,"completion_tokens":1,"total_tokens":2.5}}`,
	`{"choices":[{"message":{"content":"x"}}]}`,
	`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[{"text":"x"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[{"message":{"content":null}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[{"message":{"content":1}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"object":"text_completion","choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"error":{"message":"overloaded"}}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}} {}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}}`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`,
	`{"choices":[{"message":{"content":"x"}}],"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[],"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[{"message":{"content":"x","content":2}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"CHOICES":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"cho\u0069ces":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	`{"choices":[{"message":{"content":"bad \x escape"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
	"{\"choices\":[{\"message\":{\"content\":\"tab\there\"}}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}",
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":99999999999999999999,"completion_tokens":1,"total_tokens":2}}`,
	`not json`, ``, `[]`, `null`,
	`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"deep":` +
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
}

// ReadCompletion gives Completion's verdict and usage on every case, with
// the usual and unusual content types and statuses.
func TestReadCompletionAgreesWithCompletion(t *testing.T) {
	for _, body := range servedCases {
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "text/plain", ""} {
			for _, status := range []int{200, 201} {
				assertAgrees(t, status, ct, []byte(body))
			}
		}
	}
}

func assertAgrees(t *testing.T, status int, ct string, body []byte) {
	t.Helper()
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	wantUsage, wantErr := Completion(&target.Exchange{Status: status, Header: h, Body: body})
	got, err := ReadCompletion(status, h, body)
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || (err == nil && got.Usage != wantUsage) {
		t.Fatalf("status %d, %q, %.200q: ReadCompletion %+v, %v; Completion %+v, %v", status, ct, body, got, err, wantUsage, wantErr)
	}
}

func TestReadCompletionFinishReason(t *testing.T) {
	g := NewWithT(t)
	h := http.Header{"Content-Type": {"application/json"}}
	s, err := ReadCompletion(200, h, []byte(goodChat))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s).To(Equal(Served{Usage: target.Usage{PromptTokens: 5, CompletionTokens: 1, TotalTokens: 6}, FinishReason: "stop"}))
	// The slow path (12.0 is an integer) reads it too.
	s, err = ReadCompletion(200, h, []byte(servedCases[2]))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.FinishReason).To(Equal("length"))
}

func FuzzReadCompletion(f *testing.F) {
	fuzzJSONBodies(f, servedCases, func(t *testing.T, body []byte) { assertAgrees(t, 200, "application/json", body) })
}

// fuzzJSONBodies fuzzes a fast path's agreement with its full check on
// bodies served as application/json, seeded with cases on both sides.
func fuzzJSONBodies(f *testing.F, seeds []string, agree func(t *testing.T, body []byte)) {
	for _, c := range seeds {
		f.Add([]byte(c))
	}
	f.Fuzz(agree)
}

func BenchmarkReadCompletion(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}}
	body := []byte(goodChat)
	ex := &target.Exchange{Status: 200, Header: h, Body: body}
	benchFastAndFull(b, "Completion",
		func() error { _, err := ReadCompletion(200, h, body); return err },
		func() error { _, err := Completion(ex); return err })
}

// benchFastAndFull runs a fast path and the full check it stands for, side
// by side, on a reply both accept.
func benchFastAndFull(b *testing.B, fullName string, fast, full func() error) {
	for _, sub := range []struct {
		name  string
		judge func() error
	}{{"fast", fast}, {fullName, full}} {
		b.Run(sub.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := sub.judge(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReply is the full CHAT check `load` runs on its sampled replies.
func BenchmarkReply(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}}
	body, request := []byte(goodChat), []byte(`{"model":"default","messages":[{"role":"user","content":"Say hi."}],"max_tokens":16}`)
	b.ReportAllocs()
	for b.Loop() {
		if fs := Reply(request, 200, h, body); len(fs) > 0 {
			b.Fatal(fs)
		}
	}
}

// Reply skips CHAT-1..3 on replies the fast scan proves served; its findings
// must be those of every row's expectation run in full.
func FuzzReply(f *testing.F) {
	for _, c := range servedCases {
		f.Add([]byte(c), []byte(`{"max_tokens":1}`))
	}
	f.Add([]byte(goodChat), []byte(`{"max_tokens":16}`))
	f.Fuzz(func(t *testing.T, body, request []byte) {
		h := http.Header{"Content-Type": {"application/json"}}
		ex := &target.Exchange{Status: 200, Header: h, Body: body, RequestBody: request}
		var want []Finding
		for _, row := range []struct {
			clause string
			check  func(*target.Exchange) error
		}{
			{"CHAT-1", CompletionEnvelope}, {"CHAT-2", CompletionChoices},
			{"CHAT-3", func(ex *target.Exchange) error { _, err := CompletionUsage(ex); return err }},
			{"CHAT-4", CompletionFields}, {"CHAT-6", MaxTokensHonoured},
		} {
			if err := row.check(ex); err != nil && !errors.Is(err, ErrCannotTell) {
				want = append(want, Finding{Clause: row.clause, Detail: err.Error()})
			}
		}
		if got := Reply(request, 200, h, body); !slices.Equal(got, want) {
			t.Fatalf("%.200q, request %.100q: Reply %v, the rows %v", body, request, got, want)
		}
	})
}
