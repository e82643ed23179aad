package target

import (
	"strings"
	"testing"
)

func TestParseBaseURLShapes(t *testing.T) {
	cases := []struct{ in, root string }{
		{"https://api.carpathian.ai/ai", "https://api.carpathian.ai/ai"},
		{"https://api.carpathian.ai/ai/", "https://api.carpathian.ai/ai"},
		{"https://api.carpathian.ai/ai/v1", "https://api.carpathian.ai/ai"},
		{"https://api.carpathian.ai/ai/v1/", "https://api.carpathian.ai/ai"},
		{"https://api.carpathian.ai/ai/v1/chat/completions", "https://api.carpathian.ai/ai"},
		{"https://api.carpathian.ai/ai/v1/chat/completions/", "https://api.carpathian.ai/ai"},
		{"  http://127.0.0.1:8080/ai/v1  ", "http://127.0.0.1:8080/ai"},
		{"https://gw.example/staging/ai/v1", "https://gw.example/staging/ai"},
		{"https://gw.example/a/b/ai/v1/chat/completions", "https://gw.example/a/b/ai"},
		{"http://[::1]:9000/ai", "http://[::1]:9000/ai"},
		{"HTTPS://API.carpathian.ai/ai/v1", "https://API.carpathian.ai/ai"},
	}
	for _, c := range cases {
		r, err := ParseBaseURL(c.in)
		if err != nil {
			t.Errorf("ParseBaseURL(%q): %v", c.in, err)
			continue
		}
		if r.String() != c.root {
			t.Errorf("ParseBaseURL(%q) root = %q, want %q", c.in, r.String(), c.root)
		}
	}
}

func TestParseBaseURLRejects(t *testing.T) {
	cases := map[string]string{
		"":                                "empty",
		"api.carpathian.ai/ai/v1":         "scheme",
		"ftp://api.carpathian.ai/ai":      "scheme",
		"https:///ai/v1":                  "no host",
		"https://host:99999/ai":           "port",
		"https://host:abc/ai":             "parse",
		"https://u:secret@host/ai/v1":     "credentials",
		"https://host/ai/v1?key=cai_1234": "query",
		"https://host/ai/v1#x":            "query",
		"http://[::1/ai":                  "parse",
	}
	for in, want := range cases {
		_, err := ParseBaseURL(in)
		if err == nil {
			t.Errorf("ParseBaseURL(%q) accepted", in)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseBaseURL(%q) error spans lines: %q", in, err)
		}
		if !strings.Contains(err.Error(), want) && !strings.Contains(err.Error(), "does not parse") {
			t.Errorf("ParseBaseURL(%q) = %q, want it to mention %q", in, err, want)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseBaseURL(%q) error leaks the password: %q", in, err)
		}
	}
}

func TestRootURLAndShapes(t *testing.T) {
	r := MustParseBaseURL("https://gw.example/staging/ai/v1/")
	if got := r.URL(PathModels); got != "https://gw.example/staging/ai/v1/models" {
		t.Errorf("URL(models) = %q", got)
	}
	want := []string{"https://gw.example/staging/ai", "https://gw.example/staging/ai/v1", "https://gw.example/staging/ai/v1/chat/completions"}
	for i, s := range BaseShapes {
		if got := r.Base(s); got != want[i] {
			t.Errorf("Base(%q) = %q, want %q", s, got, want[i])
		}
		// Every shape parses back to the same root: the normalizer is idempotent.
		if back := MustParseBaseURL(r.Base(s)); back != r {
			t.Errorf("Base(%q) parses to %q", s, back)
		}
	}
}

func FuzzParseBaseURL(f *testing.F) {
	for _, s := range []string{"https://api.carpathian.ai/ai/v1", "http://127.0.0.1:1/x/ai/v1/chat/completions/", "http://[::1]/ai", "://", "https://h:0/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseBaseURL(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q", s)
			}
			return
		}
		// A parsed root re-parses to itself from each base shape (the bare
		// root only when its own path does not end like a longer shape).
		for _, shape := range BaseShapes {
			if shape == ShapeRoot && (strings.HasSuffix(r.String(), "/v1") || strings.HasSuffix(r.String(), string(ShapeChat))) {
				continue
			}
			back, err := ParseBaseURL(r.Base(shape))
			if err != nil {
				t.Fatalf("root %q shape %q does not re-parse: %v", r, shape, err)
			}
			if back.String() != r.String() {
				t.Fatalf("root %q shape %q re-parses to %q", r, shape, back)
			}
		}
	})
}
