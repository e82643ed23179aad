package reports

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// ShownBody caps the bodies human reports show (bytes); the JSON report
// keeps the evidence whole.
const ShownBody = 512

// shownHeaders are the headers that explain a verdict; others are noise in a
// human report (the JSON report keeps them all).
var shownHeaders = []string{"authorization", "content-type", "retry-after", "location", "www-authenticate"}

// evidenceLine is one line of a broken clause's evidence. Prose may be
// word-wrapped; verbatim lines (an exchange, a curl command) are never
// touched, however long: a reply body, a key or a command copies whole.
type evidenceLine struct {
	depth    int // indentation level
	text     string
	verbatim bool
}

// curlPrompt starts the first line of a curl command in the text report.
const curlPrompt = "$ "

// evidenceOf is what reports show under a FAIL or WARN: each violated spec
// with its detail, its exchanges and a curl command for each.
func evidenceOf(cr results.ClauseResult) []evidenceLine {
	var out []evidenceLine
	for _, s := range cr.Specs {
		if s.Outcome != results.OutcomeViolated {
			continue
		}
		out = append(out, evidenceLine{depth: 0, text: printable(s.Name + ": " + s.Detail)})
		if len(s.Evidence) == 0 {
			out = append(out, evidenceLine{depth: 1, text: "(no exchange recorded)"})
		}
		for _, e := range s.Evidence {
			for _, l := range exchangeLines(e) {
				out = append(out, evidenceLine{depth: 1, text: l, verbatim: true})
			}
			prompt := curlPrompt
			for _, l := range curlLines(printable(e.Curl)) {
				out = append(out, evidenceLine{depth: 1, text: prompt + l, verbatim: true})
				prompt = "  "
			}
		}
	}
	return out
}

// plainEvidence is evidenceOf as unwrapped text, for JUnit and Markdown.
func plainEvidence(cr results.ClauseResult) string {
	var b strings.Builder
	for _, l := range evidenceOf(cr) {
		b.WriteString(strings.Repeat("  ", l.depth) + l.text + "\n")
	}
	return b.String()
}

// exchangeLines renders one exchange for people: the request line and
// status, selected request headers ("> "), then selected response headers and
// the body ("< "). The request body is left to the curl command beside it.
func exchangeLines(e target.Evidence) []string {
	lines := []string{fmt.Sprintf("%s %s → %d (%d ms)", e.Method, e.URL, e.Status, e.DurationMS)}
	side := func(mark string, headers map[string]string, body string) {
		for _, h := range selectHeaders(headers) {
			lines = append(lines, mark+h)
		}
		if body != "" {
			for l := range strings.SplitSeq(capBody(body, ShownBody), "\n") {
				lines = append(lines, mark+l)
			}
		}
	}
	side("> ", e.RequestHeaders, "")
	side("< ", e.ResponseHeaders, e.ResponseBody)
	for i, l := range lines {
		lines[i] = printable(l)
	}
	return lines
}

// selectHeaders is "Name: value" for the shown headers, sorted by name.
func selectHeaders(h map[string]string) []string {
	var out []string
	for k, v := range h {
		lk := strings.ToLower(k)
		if slices.Contains(shownHeaders, lk) || target.IsRateLimitHeader(k) {
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}

// capBody cuts s to at most n bytes on a rune boundary, saying how much was cut.
func capBody(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes more)", len(s)-cut)
}

// curlLines splits a curl command at its -H and -d options into lines joined
// by shell continuations, so a long command still pastes as one.
func curlLines(curl string) []string {
	args := shellWords(curl)
	var lines []string
	cur := ""
	for i := 0; i < len(args); i++ {
		if (args[i] == "-H" || args[i] == "-d") && cur != "" {
			lines = append(lines, cur+` \`)
			cur = "  "
		} else if cur != "" && cur != "  " {
			cur += " "
		}
		cur += args[i]
		if (args[i] == "-H" || args[i] == "-d") && i+1 < len(args) {
			i++
			cur += " " + args[i]
		}
	}
	return append(lines, cur)
}

// shellWords splits a command at spaces outside quotes, keeping the quotes.
func shellWords(s string) []string {
	var words []string
	var b strings.Builder
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case quote == 0 && r == '\\', quote == '"' && r == '\\':
			escaped = true
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && r == ' ':
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}
