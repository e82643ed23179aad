package target

import "strings"

// Redact shows a key as its prefix and last four characters ("cai_…a1b2"), the
// only form in which the tool ever prints, logs or writes a key.
func Redact(key string) string {
	if key == "" {
		return "(none)"
	}
	prefix := ""
	if strings.HasPrefix(key, "cai_") {
		prefix = "cai_"
	}
	if len(key)-len(prefix) <= 4 {
		return prefix + "…"
	}
	return prefix + "…" + key[len(key)-4:]
}

// Redactor replaces every given key in text by its redacted form; evidence,
// logs and reports pass through one before they are shown.
type Redactor struct{ r *strings.Replacer }

// NewRedactor builds a Redactor for the keys (empty ones are ignored).
func NewRedactor(keys ...string) Redactor {
	var pairs []string
	for _, k := range keys {
		if len(k) >= 4 {
			pairs = append(pairs, k, Redact(k))
		}
	}
	return Redactor{r: strings.NewReplacer(pairs...)}
}

// String redacts s.
func (r Redactor) String(s string) string {
	if r.r == nil {
		return s
	}
	return r.r.Replace(s)
}
