package target

import (
	"strings"
	"testing"
	"time"
)

func TestParseLimit(t *testing.T) {
	ok := map[string]Limit{
		"60/1m":    {60, time.Minute},
		"5/10s":    {5, 10 * time.Second},
		"20/s":     {20, time.Second},
		" 3/500ms": {3, 500 * time.Millisecond},
	}
	for in, want := range ok {
		got, err := ParseLimit(in)
		if err != nil || got != want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "60", "0/1m", "-1/1m", "x/1m", "60/", "60/0s", "60/fortnight"} {
		if _, err := ParseLimit(bad); err == nil {
			t.Errorf("ParseLimit(%q) accepted", bad)
		}
	}
	if s := (Limit{60, time.Minute}).String(); s != "60/1m" {
		t.Errorf("String = %q", s)
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("cai_0123456789abcdef"); got != "cai_…cdef" {
		t.Errorf("Redact = %q", got)
	}
	if got := Redact("cai_ab"); strings.Contains(got, "ab") {
		t.Errorf("short key shown: %q", got)
	}
	r := NewRedactor("cai_0123456789abcdef", "")
	if got := r.String("Authorization: Bearer cai_0123456789abcdef"); got != "Authorization: Bearer cai_…cdef" {
		t.Errorf("Redactor = %q", got)
	}
}
