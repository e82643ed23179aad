// Package contract holds the clauses of CONTRACT.md (embedded beside this
// file) as data, so that specs, deviations and reports all name a clause the
// same way, and each check can show the requirement's own words.
package contract

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

// Document is CONTRACT.md as shipped with the tool: the specification every
// verdict cites.
//
//go:embed CONTRACT.md
var Document string

// Level is how much a clause binds a target.
type Level string

const (
	Must   Level = "MUST"   // a violation fails the run
	Should Level = "SHOULD" // a violation warns; fails only under --strict
	Info   Level = "INFO"   // observed, never a failure
)

// Clause is one numbered rule of the contract.
type Clause struct {
	ID    string // e.g. "ROUTE-2"
	Level Level
	Title string // one line, for tables
}

// Requirement is the clause's full text as CONTRACT.md states it, for the
// report beside each check (h2spec shows the requirement with its verdict).
func (c Clause) Requirement() string { return requirements[c.ID] }

// Area is the clause family, lower-cased: "ROUTE-2" -> "route".
func (c Clause) Area() string {
	area, _, _ := strings.Cut(c.ID, "-")
	return strings.ToLower(area)
}

// Clauses lists every clause in the order of CONTRACT.md.
var Clauses = []Clause{
	{"ROUTE-1", Must, "POST {root}/v1/chat/completions answers a chat completion"},
	{"ROUTE-2", Must, "chat aliases answer the same chat-completion shape"},
	{"ROUTE-3", Must, "every documented base-URL shape routes chat"},
	{"ROUTE-4", Must, "GET {root}/v1/models answers"},
	{"ROUTE-5", Should, "models under the other base shapes answers the same list"},

	{"MODELS-1", Must, "models is an OpenAI list with exactly one entry"},
	{"MODELS-2", Must, "the entry has a non-empty id and object \"model\""},
	{"MODELS-3", Should, "the entry has integer created and string owned_by"},
	{"MODELS-4", Should, "models costs no tokens (200 with an out-of-tokens key)"},

	{"MODEL-1", Must, "a chat request with no model is served"},
	{"MODEL-2", Must, "model \"default\" is served"},
	{"MODEL-3", Must, "any other model name is served (ignored)"},
	{"MODEL-4", Should, "the response's model is the id listed by models"},

	{"CHAT-1", Must, "200, application/json, a JSON object"},
	{"CHAT-2", Must, "choices non-empty, choices[0].message.content a string"},
	{"CHAT-3", Must, "usage has integer token counts, total = prompt + completion"},
	{"CHAT-4", Should, "OpenAI chat.completion fields (id, object, created, role, finish_reason)"},
	{"CHAT-5", Must, "temperature, max_tokens, response_format json_object accepted"},
	{"CHAT-6", Should, "max_tokens honoured: completion_tokens <= max_tokens"},
	{"CHAT-7", Info, "json_object content parses as JSON (backend-dependent)"},
	{"CHAT-8", Must, "stream: true answers one JSON completion, never event-stream"},

	{"AUTH-1", Must, "no Authorization header: 401 on chat and models"},
	{"AUTH-2", Must, "unknown cai_ key: 401 on chat and models"},
	{"AUTH-3", Must, "revoked key: 401"},
	{"AUTH-4", Must, "a non-cai_ credential: 401"},
	{"AUTH-5", Should, "the Bearer scheme is matched case-insensitively"},

	{"BILL-1", Must, "out-of-tokens key: 402 on chat"},
	{"ACCESS-1", Must, "caller IP not allowlisted: 403"},
	{"ACCESS-2", Must, "locked instance: 403"},

	{"RATE-1", Must, "a burst beyond the limit gets 429"},
	{"RATE-2", Must, "a burst within the limit is served"},
	{"RATE-3", Must, "the limit recovers after the window or Retry-After"},
	{"RATE-4", Should, "a 429 carries Retry-After"},
	{"RATE-5", Info, "rate-limit headers and what counts against the limit"},

	{"ERR-1", Must, "an error never comes as 200"},
	{"ERR-2", Should, "4xx bodies are an OpenAI error envelope with a message"},
	{"ERR-3", Should, "a malformed request gets a 4xx, never a 5xx"},

	{"SDK-1", Must, "the official OpenAI Go SDK completes a chat call on each base shape"},
	{"SDK-2", Should, "through the SDK a refusal is a typed API error with its status"},
}

// clauseRow is one table row of CONTRACT.md: | ID | level | clause | source |.
var clauseRow = regexp.MustCompile(`(?m)^\| ([A-Z]+-\d+) \| (MUST|SHOULD|INFO) \| (.+?) \|(.*)\|$`)

// Row is one clause as the document states it.
type Row struct{ ID, Level, Text, Source string }

// DocumentRows parses the clause rows of a CONTRACT.md.
func DocumentRows(doc string) []Row {
	var rows []Row
	for _, m := range clauseRow.FindAllStringSubmatch(doc, -1) {
		rows = append(rows, Row{ID: m[1], Level: m[2], Text: m[3], Source: strings.TrimSpace(m[4])})
	}
	return rows
}

var requirements = func() map[string]string {
	m := map[string]string{}
	for _, r := range DocumentRows(Document) {
		m[r.ID] = r.Text
	}
	return m
}()

var byID = func() map[string]Clause {
	m := make(map[string]Clause, len(Clauses))
	for _, c := range Clauses {
		m[c.ID] = c
	}
	return m
}()

// Lookup finds a clause by ID ("route-2" and "ROUTE-2" alike).
func Lookup(id string) (Clause, bool) {
	c, ok := byID[strings.ToUpper(id)]
	return c, ok
}

// MustLookup is Lookup for IDs written in code; an unknown ID is a programming error.
func MustLookup(id string) Clause {
	c, ok := Lookup(id)
	if !ok {
		panic(fmt.Sprintf("contract: unknown clause %q", id))
	}
	return c
}
