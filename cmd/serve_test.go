package cmd

import (
	"strings"
	"testing"
)

// A deviation or scope serve does not know is one line naming the valid
// choices, exit 2, and no server starts.
func TestServeRejectsBadDeviations(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--deviation", "bogus@x"}, []string{`unknown deviation "bogus"`, "usage-missing", "--list-deviations"}},
		{[]string{"--deviation", "usage-missing@x"}, []string{`usage-missing cannot hold at "x"`, "/ai/chat", "stream", "plain"}},
		{[]string{"--deviation", "usage-missing", "--deviation", "no-alias-chat@models"}, []string{"no-alias-chat takes no scope"}},
		{[]string{"--quirk", "bogus"}, []string{`unknown quirk "bogus"`}},
	} {
		code, stdout, stderr := runCommand("serve", append([]string{"--addr", "127.0.0.1:0"}, c.args...)...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, stdout, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: %q lacks %q", c.args, stderr, w)
			}
		}
	}
}

// --list-deviations shows each deviation's clause, level and scopes, the
// scopes by kind, and the quirks.
func TestServeListsDeviations(t *testing.T) {
	code, stdout, stderr := runCommand("serve", "--list-deviations")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"usage-missing", "CHAT-3", "MUST", "SHOULD", "everywhere", "/ai/chat", "revoked-accepted",
		"stream", "key role", "variant", "refusal", "fractional-integers", "auth-first", "Scopes"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("--list-deviations lacks %q", w)
		}
	}
}
