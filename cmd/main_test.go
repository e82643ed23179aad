package cmd

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runCommandCtx runs one subcommand as the binary would, under ctx.
func runCommandCtx(ctx context.Context, command string, args ...string) (code int, stdout, stderr string) {
	argv := append([]string{command}, args...)
	if runsSpecs(argv) {
		code, stdout, stderr, err := runInChild(ctx, argv)
		if err != nil {
			panic(fmt.Sprintf("running %q in a test process: %v; stderr %q", argv, err, stderr))
		}
		return code, stdout, stderr
	}
	var out, errb bytes.Buffer
	code = run(Env{Ctx: ctx, Stdout: &out, Stderr: &errb}, argv)
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

// With no subcommand the root runs check; bad flags and arguments are one
// usage line naming the command, exit 2.
func TestDefaultCommandAndUsageErrors(t *testing.T) {
	code, out, errOut := runCommand("--list", "--label-filter", "cost:none")
	if code != ExitOK || !strings.Contains(out, "ROUTE-1") {
		t.Fatalf("the root's --list: exit %d, stderr %q", code, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--colour"}, "check: unknown flag: --colour"},
		{[]string{"--colour"}, "check: unknown flag: --colour"},
		{[]string{"load", "-base-url", "x"}, "flags are written --name value"},
		{[]string{"check", "--max-calls", "many"}, `check: --max-calls "many": not a whole number`},
		{[]string{"check", "--rate-limit", "lots"}, `check: --rate-limit "lots"`},
		{[]string{"check", "--json"}, "flag needs an argument: --json"},
		{[]string{"serve", "stray"}, `serve: unexpected argument "stray"`},
		{[]string{"bogus"}, `unknown command "bogus": use one of`},
	} {
		code, _, stderr := runCommand(c.args[0], c.args[1:]...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
}

// Every flag's value is named one way in --help: in capitals.
func TestHelpPlaceholdersAreCapitals(t *testing.T) {
	head := regexp.MustCompile(`^  (-[a-z], )?--[a-z0-9-]+( (\S+))?$`)
	for _, cmd := range []string{"check", "serve", "load", "ratelimit", "capacity"} {
		_, stdout, _ := runCommand(cmd, "--help")
		for _, line := range strings.Split(stdout, "\n") {
			if !strings.HasPrefix(line, "  -") {
				continue
			}
			m := head.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s --help: flag line %q", cmd, line)
			} else if m[3] != "" && m[3] != strings.ToUpper(m[3]) {
				t.Errorf("%s --help: placeholder %q is not in capitals", cmd, m[3])
			}
		}
	}
}

// The overview's list of commands wraps a long summary under itself.
func TestTopHelpIndentsWrappedSummaries(t *testing.T) {
	_, stdout, _ := runCommand("--help")
	_, list, _ := strings.Cut(stdout, "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	for _, line := range strings.Split(list, "\n") {
		if len([]rune(line)) > 100 || !strings.HasPrefix(line, "  ") {
			t.Errorf("command list line %q: over 100 columns or not indented", line)
		}
		if strings.HasPrefix(line, "   ") && !strings.HasPrefix(line, strings.Repeat(" ", 14)) {
			t.Errorf("a wrapped summary is not under its first line: %q", line)
		}
	}
	if !strings.Contains(list, "\n  load        drive chat") {
		t.Errorf("no load line:\n%s", list)
	}
}

func TestVersionFlagAndHelpCommand(t *testing.T) {
	if code, stdout, _ := runCommand("--version"); code != ExitOK || stdout != "carpathian-conform "+Version+"\n" {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := runCommand("help", "load"); code != ExitOK || !strings.Contains(stdout, "[$CARPATHIAN_LOAD_JSON]") {
		t.Errorf("help load: exit %d, %q", code, stdout)
	}
}

// A command with operands gets them after its flags are read, flags and
// operands in any order; a wrong count is a usage error.
func TestOperands(t *testing.T) {
	var got []string
	var markdown bool
	c := command{name: "pair", operands: "OLD NEW", summary: "a pair",
		define: func(fs *FlagSet) { fs.BoolVar(&markdown, "markdown", false, "as Markdown") },
		args:   cobra.ExactArgs(2),
		run:    func(_ *FlagSet, args []string) error { got = args; return nil }}
	var out, errb bytes.Buffer
	env := Env{Ctx: context.Background(), Stdout: &out, Stderr: &errb}
	root := newRoot(env)
	root.AddCommand(c.cobra())
	if code := execute(env, root, []string{"pair", "a.json", "--markdown", "b.json"}); code != ExitOK || !markdown || strings.Join(got, " ") != "a.json b.json" {
		t.Errorf("exit %d, operands %q, --markdown %v, stderr %q", code, got, markdown, errb.String())
	}
	root = newRoot(env)
	root.AddCommand(c.cobra())
	if code := execute(env, root, []string{"pair", "a.json"}); code != ExitUsage || !strings.Contains(errb.String(), "pair: accepts 2 arg(s), received 1 (usage: carpathian-conform pair OLD NEW [flags])") {
		t.Errorf("one operand: exit %d, stderr %q", code, errb.String())
	}
}
