package cmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCommandCtx runs one subcommand as the binary would, under ctx.
func runCommandCtx(ctx context.Context, command string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(Env{Ctx: ctx, Stdout: &out, Stderr: &errb}, append([]string{command}, args...))
	return code, out.String(), errb.String()
}

// runCommand runs one subcommand to its end.
func runCommand(command string, args ...string) (code int, stdout, stderr string) {
	return runCommandCtx(context.Background(), command, args...)
}

func TestUnknownCommandAndHelp(t *testing.T) {
	code, _, stderr := runCommand("bogus")
	if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, cmd := range []string{"check", "serve", "load", "ratelimit", "capacity"} {
		code, stdout, _ := runCommand(cmd, "--help")
		if code != ExitOK || !strings.Contains(stdout, "--") || !strings.Contains(stdout, "[$CARPATHIAN_") {
			t.Errorf("%s --help: exit %d, %q", cmd, code, stdout)
		}
		for _, line := range strings.Split(stdout, "\n") {
			if len([]rune(line)) > 100 {
				t.Errorf("%s --help: line over 100 columns: %q", cmd, line)
			}
		}
	}
	if code, stdout, _ := runCommand("version"); code != ExitOK || !strings.HasPrefix(stdout, "carpathian-conform ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("CARPATHIAN_RATE_LIMIT", "nonsense")
	code, _, stderr := runCommand("check", "--list")
	if code != ExitUsage || !strings.Contains(stderr, "CARPATHIAN_RATE_LIMIT") {
		t.Fatalf("a bad CARPATHIAN_RATE_LIMIT: exit %d, %q", code, stderr)
	}
	t.Setenv("CARPATHIAN_RATE_LIMIT", "5/10s")
	if code, stdout, _ := runCommand("check", "--list"); code != ExitOK || !strings.Contains(stdout, "5/10s") {
		t.Fatalf("CARPATHIAN_RATE_LIMIT=5/10s: exit %d, %q", code, stdout)
	}
}
