package target

import "strings"

// UnknownKey is a well-formed key no target knows (AUTH-2). It is made up
// and fixed, no secret, so evidence and reports show it whole and its curl
// reproduces the refusal as it is.
const UnknownKey = "cai_00000000000000000000000000000000"

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
// logs and reports pass through one before they are shown. It also knows the
// environment variable a reproducing curl reads each key from.
type Redactor struct {
	r   *strings.Replacer
	env map[string]string // key -> environment variable
}

// NewRedactor builds a Redactor for the keys (empty ones are ignored).
func NewRedactor(keys ...string) Redactor {
	named := make([]NamedKey, len(keys))
	for i, k := range keys {
		named[i] = NamedKey{Key: k}
	}
	return NewNamedRedactor(named...)
}

// NamedKey is a key and the environment variable that holds it ("" for none);
// Env may be a shell parameter expansion without its "$" ("{VAR%?}0": a key
// derived from another).
type NamedKey struct{ Key, Env string }

// NewNamedRedactor builds a Redactor whose curl commands read each key from
// its variable ($CARPATHIAN_REVOKED_KEY for the revoked key, say).
func NewNamedRedactor(keys ...NamedKey) Redactor {
	var pairs []string
	env := map[string]string{}
	for _, k := range keys {
		if len(k.Key) >= 4 {
			pairs = append(pairs, k.Key, Redact(k.Key))
			if k.Env != "" {
				env[k.Key] = k.Env
			}
		}
	}
	return Redactor{r: strings.NewReplacer(pairs...), env: env}
}

// String redacts s.
func (r Redactor) String(s string) string {
	if r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// EnvOf is the variable a curl reads key from: its own, else
// CARPATHIAN_API_KEY for any other key the redactor hides, else "" (the key is
// no secret: a made-up one, shown as it is).
func (r Redactor) EnvOf(key string) string {
	if env, ok := r.env[key]; ok {
		return env
	}
	if r.String(key) != key {
		return "CARPATHIAN_API_KEY"
	}
	return ""
}
