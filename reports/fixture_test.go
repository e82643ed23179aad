package reports

import (
	"net/http"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// testKey is a full key; no report may contain it.
const testKey = "cai_live_5f3a9c0d7e1b2a4c6d8e0f1a2b3c4d5e"

// exchangeEvidence is evidence as specs make it: an Exchange through a
// Redactor holding the key.
func exchangeEvidence(method, url string, status int, reqBody, respBody string, respHeader http.Header) target.Evidence {
	ex := &target.Exchange{
		Method: method,
		URL:    url,
		RequestHeader: http.Header{
			"Authorization": {"Bearer " + testKey},
			"Content-Type":  {"application/json"},
			"User-Agent":    {"carpathian-conform"},
		},
		RequestBody: []byte(reqBody),
		Status:      status,
		Header:      respHeader,
		Body:        []byte(respBody),
		Duration:    42 * time.Millisecond,
	}
	return ex.Evidence(target.NewRedactor(testKey))
}

// sampleSpecs is a realistic run: passes, a broken MUST with a long detail
// and a large HTML body, a broken SHOULD, an INFO observation, skips and a
// network error.
func sampleSpecs() []results.SpecResult {
	chat := `{"model":"default","messages":[{"role":"user","content":"Reply with the single word OK."}],"max_tokens":8}`
	html := "<html><head><title>404 Not Found</title></head><body>" + strings.Repeat("<p>The requested URL was not found on this server; the gateway has no route for it.</p>", 20) + "</body></html>"
	var specs []results.SpecResult
	for _, id := range []string{"ROUTE-1", "ROUTE-3", "ROUTE-4", "MODELS-1", "MODELS-2", "CHAT-1", "CHAT-2", "CHAT-3"} {
		for i := range 3 {
			specs = append(specs, results.SpecResult{Clause: id, Name: id + " check " + string(rune('a'+i)), Outcome: results.OutcomePassed, Duration: 30 * time.Millisecond})
		}
	}
	specs = append(specs,
		results.SpecResult{Clause: "ROUTE-2", Name: "POST {root}/chat/completions answers a chat completion", Outcome: results.OutcomePassed},
		results.SpecResult{
			Clause: "ROUTE-2", Name: "POST {root}/chat answers a chat completion", Outcome: results.OutcomeViolated,
			Detail: "POST https://gw.example.internal/staging/ai/chat answered 404 with an HTML page (Content-Type text/html; charset=utf-8) instead of a chat.completion JSON object; the alias is not routed by the gateway in front of the service",
			Evidence: []target.Evidence{exchangeEvidence("POST", "https://gw.example.internal/staging/ai/chat", 404, chat, html,
				http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Server": {"nginx"}, "X-Request-Id": {"abc"}})},
			Duration: 80 * time.Millisecond,
		},
		results.SpecResult{
			Clause: "RATE-4", Name: "a 429 carries Retry-After", Outcome: results.OutcomeViolated,
			Detail: "429 without Retry-After",
			Evidence: []target.Evidence{exchangeEvidence("POST", "https://gw.example.internal/staging/ai/v1/chat/completions", 429, chat,
				`{"error":{"message":"rate limit exceeded","type":"rate_limit"}}`,
				http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Limit": {"60"}, "X-Ratelimit-Remaining": {"0"}})},
		},
		results.SpecResult{Clause: "RATE-5", Name: "rate-limit headers", Outcome: results.OutcomeObserved, Detail: "X-RateLimit-Limit, X-RateLimit-Remaining present; models calls count against the limit"},
		results.SpecResult{Clause: "AUTH-3", Name: "revoked key gets 401", Outcome: results.OutcomeSkipped, Detail: "--revoked-key not given"},
		results.SpecResult{Clause: "BILL-1", Name: "out-of-tokens key gets 402", Outcome: results.OutcomeSkipped, Detail: "--exhausted-key not given"},
		results.SpecResult{Clause: "SDK-1", Name: "SDK on base {root}/v1", Outcome: results.OutcomeErrored, Detail: "dial tcp 10.0.0.7:443: i/o timeout"},
	)
	return specs
}

// sampleConformance is a whole run built from sampleSpecs.
func sampleConformance(strict bool) *results.Conformance {
	clauses, counts, exit := results.Aggregate(sampleSpecs(), strict)
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return &results.Conformance{
		Schema:      results.SchemaConformance,
		ToolVersion: "v0.3.1",
		Target:      "https://gw.example.internal/staging/ai",
		Model:       "llama-3.1-8b-instruct",
		RateLimit:   "60/1m",
		Strict:      strict,
		Started:     start,
		Finished:    start.Add(83*time.Second + 420*time.Millisecond),
		Clauses:     clauses,
		Counts:      counts,
		Calls:       131,
		MaxCalls:    180,
		Waited429:   2,
		Tokens:      1234,
		ExitCode:    exit,
	}
}

func spec(clause string, o results.Outcome, detail string) results.SpecResult {
	return results.SpecResult{Clause: clause, Name: clause + " spec", Outcome: o, Detail: detail}
}
