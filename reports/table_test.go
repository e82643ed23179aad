package reports

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// checkWidth fails for any line wider than TableWidth, in runes or display
// columns, but evidence's verbatim lines (an exchange, a curl command):
// those stay whole so they copy and paste.
func checkWidth(t *testing.T, out string) {
	t.Helper()
	inCurl := false
	for i, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		inCurl = strings.HasPrefix(trimmed, curlPrompt+"curl ") || inCurl && strings.HasPrefix(trimmed, "-")
		if inCurl || strings.HasPrefix(trimmed, "< ") || strings.HasPrefix(trimmed, "> ") || strings.Contains(trimmed, " → ") {
			continue
		}
		if n, w := utf8.RuneCountInString(line), twwidth.Width(line); n > TableWidth || w > TableWidth {
			t.Errorf("line %d is %d runes, %d columns wide:\n%s", i+1, n, w, line)
		}
	}
}

func TestFitColumns(t *testing.T) {
	tests := []struct {
		natural []int
		want    []int
	}{
		{[]int{8, 6, 7, 40}, []int{8, 6, 7, 40}},     // fits: untouched
		{[]int{8, 6, 7, 300}, []int{8, 6, 7, 66}},    // the detail column takes what remains
		{[]int{8, 300, 7, 300}, []int{8, 36, 7, 36}}, // two wide columns share it
		{[]int{8, 300, 7, 301}, []int{8, 36, 7, 36}},
		{[]int{50, 50, 50, 50}, []int{21, 22, 22, 22}}, // the remainder goes right
	}
	for _, tt := range tests {
		got := fitColumns(tt.natural, TableWidth)
		sum := 3*len(got) + 1
		for i, w := range got {
			sum += w
			if w > tt.natural[i] || w < 1 {
				t.Errorf("fitColumns(%v) = %v: column %d out of range", tt.natural, got, i)
			}
		}
		if sum > TableWidth {
			t.Errorf("fitColumns(%v) = %v: %d columns wide", tt.natural, got, sum)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("fitColumns(%v) = %v, want %v", tt.natural, got, tt.want)
		}
	}
}

func TestWrapText(t *testing.T) {
	s := "POST https://gw.example.internal/staging/ai/v1/chat/completions/chat/completions answered 404 ⚠ 日本語テキスト"
	for _, width := range []int{10, 23, 40} {
		lines := Wrap(s, width)
		for _, l := range lines {
			if twwidth.Width(l) > width {
				t.Errorf("width %d: line %q is %d wide", width, l, twwidth.Width(l))
			}
		}
		if got := strings.Join(strings.Fields(strings.Join(lines, "")), ""); got != strings.Join(strings.Fields(s), "") {
			t.Errorf("width %d: wrapping lost text: %q", width, lines)
		}
	}
	if got := Wrap("a\nb", 10); len(got) != 2 {
		t.Errorf("line breaks not kept: %q", got)
	}
}

func TestTableFitsTheTerminalWithADetailColumnThatUsesIt(t *testing.T) {
	detail := strings.Repeat("the gateway answered with an HTML page instead of JSON; ", 4)
	rows := [][]string{
		{"ROUTE-1", "MUST", "PASS", "3 specs passed"},
		{"ROUTE-2", "MUST", "FAIL", detail},
		{"ROUTE-3", "MUST", "FAIL", "https://gw.example.internal/" + strings.Repeat("z", 150)},
	}
	var b bytes.Buffer
	if err := Table(&b, "title", []string{"clause", "level", "verdict", "detail"}, rows, nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkWidth(t, out)
	widest := 0
	for _, l := range strings.Split(out, "\n") {
		widest = max(widest, twwidth.Width(l))
	}
	if widest != TableWidth {
		t.Errorf("table is %d wide; a long detail should use all %d columns:\n%s", widest, TableWidth, out)
	}
	flat := strings.Join(strings.Fields(strings.NewReplacer("│", " ").Replace(out)), " ")
	for _, word := range strings.Fields(detail) {
		if !strings.Contains(flat, word) {
			t.Fatalf("wrapped table lost %q:\n%s", word, out)
		}
	}
	if strings.Count(out, "z") != 150 {
		t.Errorf("a long word must be broken, not cut: %d of 150 z kept:\n%s", strings.Count(out, "z"), out)
	}
}

func TestWriteTableFits100Columns(t *testing.T) {
	c := sampleConformance(false)
	c.Target = "https://a-very-long-gateway-hostname.staging.internal.example.com/tenants/platform-team/prefix/ai"
	c.Interrupted = true
	wide := strings.Repeat("応答は日本語 ⚠️ ", 12) // double-width runes and emoji in a target's text
	for i := range c.Clauses {
		if c.Clauses[i].ID == "RATE-4" {
			c.Clauses[i].Detail = wide
			c.Clauses[i].Specs[0].Detail = wide
			c.Clauses[i].Specs[0].Evidence[0].ResponseBody = wide
		}
	}
	var b bytes.Buffer
	if err := WriteTable(&b, c); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkWidth(t, out)
	for _, want := range []string{
		"8 PASS · 1 FAIL · 1 WARN · 1 INFO · 27 SKIP · 1 ERROR",
		"131 of at most 180 calls · 2 429s waited out · 1234 tokens spent · 1m23.4s",
		"FAIL ROUTE-2 (MUST)", "WARN RATE-4 (SHOULD)",
		"POST https://gw.example.internal/staging/ai/chat → 404 (42 ms)",
		"< X-Ratelimit-Remaining: 0",
		`-H "Authorization: Bearer $CARPATHIAN_API_KEY" \`,
		"(1295 bytes more)",
		"INTERRUPTED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out, "X-Request-Id") {
		t.Error("report shows a header that explains nothing")
	}
	if strings.Contains(out, "ERROR SDK-1 (") {
		t.Error("evidence is for FAIL and WARN only")
	}
}

func TestCurlLinesPasteAsOneCommand(t *testing.T) {
	curl := `curl -sS -i -X POST 'https://h/ai/chat' -H "Authorization: Bearer $CARPATHIAN_API_KEY" -H 'Content-Type: application/json' -d '{"content":"it'\''s -H fine"}'`
	lines := curlLines(curl)
	want := []string{
		`curl -sS -i -X POST 'https://h/ai/chat' \`,
		`  -H "Authorization: Bearer $CARPATHIAN_API_KEY" \`,
		`  -H 'Content-Type: application/json' \`,
		`  -d '{"content":"it'\''s -H fine"}'`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestPrintableDefusesTerminalEscapes(t *testing.T) {
	got := printable("ok\x1b[2J\rdone\tx\xff\n")
	if strings.ContainsAny(got, "\x1b\r\t") || !utf8.ValidString(got) || !strings.HasSuffix(got, "\n") {
		t.Errorf("printable = %q", got)
	}
}

// FuzzWrap checks that prose wrapping never exceeds the width.
func FuzzWrap(f *testing.F) {
	f.Add("POST https://h/ai/chat answered 404 ⚠ 日本語テキスト", 7)
	f.Add(`{"error":{"message":"rate limit exceeded"}}`, 3)
	f.Fuzz(func(t *testing.T, s string, width int) {
		s = printable(s)
		width = 2 + abs(width)%120 // a wide rune needs two columns
		for _, l := range Wrap(s, width) {
			if twwidth.Width(l) > width {
				t.Fatalf("Wrap(%q, %d): line %q too wide", s, width, l)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// A curl command in the text report pastes into a shell as it is: joined at
// its backslash continuations, it is the evidence's own command, word for word.
func TestWriteTableCurlPastes(t *testing.T) {
	c := sampleConformance(false)
	long := `curl -sS -i -X POST 'http://127.0.0.1:1/ai/v1/chat/completions' -H "Authorization: Bearer $CARPATHIAN_API_KEY" -d '{"model":"default","messages":[{"role":"user","content":"` + strings.Repeat("a long prompt ", 12) + `"}]}'`
	for i := range c.Clauses {
		for j := range c.Clauses[i].Specs {
			for k := range c.Clauses[i].Specs[j].Evidence {
				c.Clauses[i].Specs[j].Evidence[k].Curl = long
			}
		}
	}
	var b bytes.Buffer
	if err := WriteTable(&b, c); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, cr := range c.Clauses {
		for _, s := range cr.Specs {
			for _, e := range s.Evidence {
				if s.Outcome == results.OutcomeViolated {
					want = append(want, e.Curl)
				}
			}
		}
	}
	var got []string
	lines := strings.Split(b.String(), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " ")
		if !strings.HasPrefix(line, curlPrompt+"curl ") {
			continue
		}
		cmd := strings.TrimPrefix(line, curlPrompt)
		for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, `\`) + strings.TrimLeft(lines[i], " ")
		}
		got = append(got, cmd)
	}
	if len(got) == 0 || len(got) != len(want) {
		t.Fatalf("%d curl commands in the report, %d in the evidence:\n%s", len(got), len(want), b.String())
	}
	for i := range got {
		if g, w := strings.Join(shellWords(got[i]), "\x00"), strings.Join(shellWords(want[i]), "\x00"); g != w {
			t.Errorf("curl %d does not paste as the evidence's command:\nreport:   %s\nevidence: %s", i, got[i], want[i])
		}
	}
}

// A reply body and a curl copy from the text report as they were sent: no
// token is cut at the width, and AUTH-2's made-up key (no secret) shows
// whole, while real keys stay redacted.
func TestEvidenceCopiesWhole(t *testing.T) {
	token := "tok_" + strings.Repeat("x9", 70) // wider than any line
	body := `{"error":{"message":"bad","request_id":"` + token + `"}}`
	madeUp := exchangeEvidence("POST", "https://gw.example/ai/v1/chat/completions", 403, "{}", body, nil)
	madeUp.Curl = strings.Replace(madeUp.Curl, "$CARPATHIAN_API_KEY", target.UnknownKey, 1)
	clauses, _, _ := results.Aggregate([]results.SpecResult{{Clause: "AUTH-2", Name: "unknown key gets 401", Outcome: results.OutcomeViolated,
		Detail: "status 403, want 401", Evidence: []target.Evidence{madeUp}}}, false)
	var b bytes.Buffer
	if err := WriteTable(&b, &results.Conformance{Clauses: clauses}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "< "+body+"\n") {
		t.Errorf("the body was cut:\n%s", out)
	}
	if !strings.Contains(out, "Bearer "+target.UnknownKey) {
		t.Errorf("the made-up key of AUTH-2's curl is not shown whole:\n%s", out)
	}
	if strings.Contains(out, testKey) {
		t.Error("a real key came out")
	}
}
