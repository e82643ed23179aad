package target

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"
)

// DefaultEvidenceBody is how much of a body evidence shows.
const DefaultEvidenceBody = 2048

// Evidence is an exchange made safe to show: keys redacted, bodies capped, and a
// curl command that reproduces it with $CARPATHIAN_API_KEY in place of the key.
type Evidence struct {
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	RequestHeaders  map[string]string `json:"request_headers,omitempty"`
	RequestBody     string            `json:"request_body,omitempty"`
	Status          int               `json:"status"`
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
	ResponseBody    string            `json:"response_body,omitempty"`
	DurationMS      int64             `json:"duration_ms"`
	Curl            string            `json:"curl"`
}

// Evidence renders the exchange through the redactor.
func (e *Exchange) Evidence(red Redactor) Evidence {
	return Evidence{
		Method:          e.Method,
		URL:             red.String(e.URL),
		RequestHeaders:  flatHeaders(e.RequestHeader, red),
		RequestBody:     capText(red.String(string(e.RequestBody)), DefaultEvidenceBody),
		Status:          e.Status,
		ResponseHeaders: flatHeaders(e.Header, red),
		ResponseBody:    capText(red.String(string(e.Body)), DefaultEvidenceBody),
		DurationMS:      e.Duration.Milliseconds(),
		Curl:            e.Curl(red),
	}
}

// Curl is a shell command reproducing the request. A key the redactor holds
// becomes the variable it is read from ($CARPATHIAN_API_KEY, …); a credential
// it does not hold is no secret and is shown as it is.
func (e *Exchange) Curl(red Redactor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl -sS -i -X %s %s", e.Method, shellQuote(red.String(e.URL)))
	for _, k := range sortedKeys(e.RequestHeader) {
		if k == "User-Agent" {
			continue
		}
		for _, v := range e.RequestHeader[k] {
			if k == "Authorization" {
				if scheme, key, ok := strings.Cut(v, " "); ok {
					if env := red.EnvOf(key); env != "" {
						fmt.Fprintf(&b, ` -H "Authorization: %s $%s"`, scheme, env)
						continue
					}
				} else if env := red.EnvOf(v); env != "" { // a key sent with no scheme
					fmt.Fprintf(&b, ` -H "Authorization: $%s"`, env)
					continue
				}
			}
			fmt.Fprintf(&b, " -H %s", shellQuote(k+": "+red.String(v)))
		}
	}
	if len(e.RequestBody) > 0 {
		fmt.Fprintf(&b, " -d %s", shellQuote(red.String(string(e.RequestBody))))
	}
	return b.String()
}

func flatHeaders(h http.Header, red Redactor) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if k == "Authorization" {
			if scheme, cred, ok := strings.Cut(v, " "); ok {
				v = scheme + " " + Redact(cred)
			} else {
				v = Redact(v)
			}
		}
		out[k] = red.String(v)
	}
	return out
}

func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) { // never split a character
		n--
	}
	return s[:n] + fmt.Sprintf("… (%d bytes more)", len(s)-n)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
