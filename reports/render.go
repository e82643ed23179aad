package reports

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// keyPattern matches anything shaped like a full cai_ key. Evidence arrives
// redacted already; this is the last line of defence, applied to every
// report as a whole, for a key that reached a detail or a name unredacted.
var keyPattern = regexp.MustCompile(`cai_[A-Za-z0-9_\-]{8,}`)

// render builds a report in memory, scrubs any key out of it and writes it
// in one piece, so a failed render writes nothing.
func render(w io.Writer, build func(b *bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := build(&b); err != nil {
		return err
	}
	out := keyPattern.ReplaceAllFunc(b.Bytes(), func(key []byte) []byte {
		if string(key) == target.UnknownKey { // made up, no secret: AUTH-2's curl sends it
			return key
		}
		return []byte(target.Redact(string(key)))
	})
	_, err := w.Write(out)
	return err
}

// printable makes text from a target safe to show: valid UTF-8, no control
// characters a terminal would act on (escape sequences, carriage returns).
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return '\uFFFD'
		}
		return r
	}, s)
}

// safeURL is a URL without any userinfo or query, which could hold
// credentials.
func safeURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		return u.String()
	}
	return s
}

// displayTarget is the target as human reports name it.
func displayTarget(c *results.Conformance) string {
	t := safeURL(c.Target)
	if c.Embedded {
		t = "embedded reference server " + t
	}
	return strings.TrimSpace(t)
}

// headline names the run: tool, target, model, limit, strictness.
func headline(c *results.Conformance) string {
	parts := []string{"carpathian-conform " + orDash(c.ToolVersion), displayTarget(c)}
	if c.Model != "" {
		parts = append(parts, "model "+c.Model)
	}
	parts = append(parts, "rate limit "+orDash(c.RateLimit))
	if c.Strict {
		parts = append(parts, "strict")
	}
	return printable(strings.Join(parts, " · "))
}

// countsLine is "38 PASS · 1 WARN · 2 INFO · 3 SKIP", verdicts in Verdicts order.
func countsLine(c *results.Conformance) string {
	return results.CountsLine(results.CountVerdicts(c.Clauses)) // derived, so never out of step with the rows
}

// costLine is what the run spent: calls, 429s waited out, tokens, time.
func costLine(c *results.Conformance) string {
	return fmt.Sprintf("%d of at most %d calls · %s waited out · %s spent · %s",
		c.Calls, c.MaxCalls, results.Plural(c.Waited429, "429"), results.Plural(c.Tokens, "token"), roundDuration(c.Duration()))
}

// waiverHeadline is the line a WAIVED clause's evidence starts with.
func waiverHeadline(w *results.ClauseWaiver) string {
	return fmt.Sprintf("waived (was %s) until %s, owner %s: %s [%s]", w.Was, w.Expires, w.Owner, w.Reason, w.Source)
}

// waiverLines is one line per waiver given: its state, what it names, and
// what it did.
func waiverLines(c *results.Conformance) []string {
	var out []string
	for _, w := range c.Waivers {
		out = append(out, fmt.Sprintf("%s %s (%s): %s", strings.ToUpper(string(w.State)), w.What(), w.Source, w.Note))
	}
	return out
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
