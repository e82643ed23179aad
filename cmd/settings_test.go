package cmd

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// writeConfig writes a --config file and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	t.Chdir(t.TempDir()) // a short relative path, as a job would give
	const path = "carpathian.yaml"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// effective runs --print-config and returns the row of a flag: its value
// and where it came from, as printed.
func effective(t *testing.T, command, flag string, args ...string) (row string) {
	t.Helper()
	code, stdout, stderr := runCommand(command, append(args, "--print-config")...)
	if code != ExitOK {
		t.Fatalf("%s %v --print-config: exit %d, stderr %q", command, args, code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	for i, line := range lines {
		if !strings.Contains(line, "│ --"+flag+" ") {
			continue
		}
		// A long source wraps onto lines whose flag cell is empty.
		for _, next := range lines[i+1:] {
			if !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(next, "│")), "│") {
				break
			}
			line += next
		}
		return strings.Join(strings.Fields(strings.ReplaceAll(line, "│", " ")), " ")
	}
	t.Fatalf("no row for --%s in:\n%s", flag, stdout)
	return ""
}

const stagingProfile = `# the nightly job's environments
staging:
  base-url: http://127.0.0.1:9/ai/v1
  api-key-env: TEST_STAGING_KEY
  timeout: 20s
  rate-limit: 30/1m
  check:
    strict: yes
    json: out/check.json
  load:
    timeout: 7s
    threshold: [p99<2s, success>=99%]
    json: out/load.json
prod:
  base-url: http://127.0.0.1:10/ai/v1
`

// Precedence: flag > environment > profile > default, and each value says
// where it came from.
func TestPrecedenceFlagEnvProfileDefault(t *testing.T) {
	config := writeConfig(t, stagingProfile)
	t.Setenv("TEST_STAGING_KEY", "cai_0123456789abcdef01231a2b")
	profile := []string{"--config", config, "--profile", "staging"}
	for _, c := range []struct {
		name    string
		command string
		env     string // CARPATHIAN_TIMEOUT, if any
		args    []string
		want    string
	}{
		{"default", "check", "", nil, "--timeout 1m0s default"},
		{"profile, shared part", "check", "", profile, "--timeout 20s profile staging (" + config + ":5)"},
		{"profile, the command's own part wins", "load", "", profile, "--timeout 7s profile staging (" + config + ":11)"},
		{"env over profile", "check", "3s", profile, "--timeout 3s env CARPATHIAN_TIMEOUT"},
		{"flag over env", "check", "3s", append([]string{"--timeout", "4s"}, profile...), "--timeout 4s flag"},
		{"env over default", "ratelimit", "3s", nil, "--timeout 3s env CARPATHIAN_TIMEOUT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("CARPATHIAN_TIMEOUT", c.env)
			}
			if got := effective(t, c.command, "timeout", c.args...); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	// The root is check; a profile's list fills a repeatable flag; yes is true.
	if got := effective(t, "--config", "strict", append(profile[1:], "--max-calls", "5")...); got != "--strict true profile staging ("+config+":8)" {
		t.Errorf("strict: %q", got)
	}
	if got := effective(t, "load", "threshold", profile...); !strings.HasPrefix(got, "--threshold p99<2s,success>=99% profile") {
		t.Errorf("threshold: %q", got)
	}
}

// A key shows only as cai_… and its last four characters, and comes from
// the variable the profile names.
func TestPrintConfigRedactsKeys(t *testing.T) {
	const key = "cai_0123456789abcdef01231a2b"
	t.Setenv("TEST_STAGING_KEY", key)
	config := writeConfig(t, stagingProfile)
	code, stdout, stderr := runCommand("load", "--config", config, "--profile", "staging", "--print-config")
	if code != ExitOK || strings.Contains(stdout+stderr, key) || strings.Contains(stdout, "0123456789") {
		t.Fatalf("exit %d; a key in full:\n%s%s", code, stdout, stderr)
	}
	if got := effective(t, "load", "api-key", "--config", config, "--profile", "staging"); got != "--api-key cai_…1a2b profile staging ("+config+":4) via TEST_STAGING_KEY" {
		t.Errorf("api-key row %q", got)
	}
	if got := effective(t, "load", "api-key", "--api-key", "cai_aaaaaaaaaaaa9z9z", "--api-key", "cai_bbbbbbbbbbbb8y8y"); got != "--api-key cai_…9z9z,cai_…8y8y flag" {
		t.Errorf("two keys: %q", got)
	}
	code, stdout, _ = runCommand("load", "--header", "Authorization: Bearer gw-secret-1", "--header", "X-Gateway:staging", "--print-config")
	if code != ExitOK || strings.Contains(stdout, "gw-secret-1") || strings.Contains(stdout, "staging") || !strings.Contains(stdout, "Authorization: …, X-Gateway: …") {
		t.Errorf("headers: exit %d\n%s", code, stdout)
	}
	os.Unsetenv("TEST_STAGING_KEY")
	code, _, stderr = runCommand("load", "--config", config, "--profile", "staging", "--print-config")
	if code != ExitUsage || !strings.Contains(stderr, "api-key-env names TEST_STAGING_KEY, which is not set") {
		t.Errorf("the named variable unset: exit %d, %q", code, stderr)
	}
}

// A key written in the file is refused, naming its line, in any profile;
// so are flags no command has and sections that are no command.
func TestConfigRefusals(t *testing.T) {
	for _, c := range []struct {
		name, yaml, args, want string
	}{
		{"a cai_ key anywhere", "staging:\n  base-url: http://h/ai\n  load:\n    prompt: cai_0123456789abcdef\n", "", ":4: a cai_ key is written in the file"},
		{"a key flag with a value, in another profile", "staging:\n  base-url: http://h/ai\nprod:\n  revoked-key: sk-live-123\n", "", ":4: revoked-key holds a key in the file"},
		{"unknown shared flag", "staging:\n  colour: red\n", "", ":2: profile staging: no command has a flag --colour"},
		{"flag of another command", "staging:\n  check:\n    rate: 5/s\n", "", ":3: profile staging, check: check has no flag --rate"},
		{"not a command", "staging:\n  chek:\n    strict: yes\n", "", `:2: "chek" is not a command`},
		{"-env of a non-key", "staging:\n  base-url-env: URL\n", "", "only keys are read from a variable"},
		{"a bad value", "staging:\n  check:\n    strict: maybe\n", "", `:3: profile staging: strict "maybe": not a boolean: use true/false, yes/no or 1/0`},
		{"no such profile", "staging:\n  timeout: 1s\n", "--profile prod", `no profile "prod"; it has staging`},
		{"not YAML", "staging: [\n", "", "--config"},
		{"empty", "# nothing yet\n", "", "no profiles in the file"},
		{"a report path shared by every command", "staging:\n  base-url: http://h/ai\n  json: out/r.json\n", "", ":3: profile staging: json is a report path: give it under each command"},
		{"a list for a flag of one value", "staging:\n  check:\n    timeout: [1s, 2s]\n", "", ":3: profile staging: timeout takes one value, not a list"},
		{"the config's own flags", "staging:\n  profile: prod\n", "", "has no place in a profile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			config := writeConfig(t, c.yaml)
			args := []string{"--config", config, "--profile", "staging", "--list"}
			if c.args != "" {
				args = append(args, strings.Fields(c.args)...)
			}
			code, stdout, stderr := runCommand("check", args...)
			if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) || stdout != "" {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", code, stderr, c.want)
			}
		})
	}
	if code, _, stderr := runCommand("check", "--profile", "staging"); code != ExitUsage || !strings.Contains(stderr, "give --config FILE too") {
		t.Errorf("--profile without --config: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCommand("check", "--config", writeConfig(t, stagingProfile)); code != ExitUsage || !strings.Contains(stderr, "give --profile NAME too") {
		t.Errorf("--config without --profile: exit %d, %q", code, stderr)
	}
}

// Each command has its own variables for its report paths; the old shared
// one is refused with the new name.
func TestReportPathsPerCommand(t *testing.T) {
	t.Setenv("CARPATHIAN_CHECK_JSON", "check.json")
	t.Setenv("CARPATHIAN_LOAD_JSON", "load.json")
	if got := effective(t, "check", "json"); got != "--json check.json env CARPATHIAN_CHECK_JSON" {
		t.Errorf("check: %q", got)
	}
	if got := effective(t, "load", "json"); got != "--json load.json env CARPATHIAN_LOAD_JSON" {
		t.Errorf("load: %q", got)
	}
	if got := effective(t, "capacity", "json"); got != "--json default" {
		t.Errorf("capacity read another command's report path: %q", got)
	}
	_, stdout, _ := runCommand("load", "--help")
	if !strings.Contains(stdout, "[$CARPATHIAN_LOAD_JSON]") || !strings.Contains(stdout, "[$CARPATHIAN_BASE_URL]") {
		t.Errorf("load --help does not name CARPATHIAN_LOAD_JSON and CARPATHIAN_BASE_URL:\n%s", stdout)
	}
	t.Setenv("CARPATHIAN_JSON", "shared.json")
	code, _, stderr := runCommand("ratelimit", "--print-config")
	if code != ExitUsage || !strings.Contains(stderr, "CARPATHIAN_JSON is no longer read") || !strings.Contains(stderr, "CARPATHIAN_RATELIMIT_JSON") {
		t.Errorf("CARPATHIAN_JSON: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCommand("serve", "--print-config"); code != ExitOK { // serve writes no report
		t.Errorf("serve with CARPATHIAN_JSON set: exit %d, %q", code, stderr)
	}
}

// Every boolean takes true/false, yes/no and 1/0, and says so when it gets
// something else.
func TestBooleans(t *testing.T) {
	for v, want := range map[string]string{"yes": "true", "YES": "true", "1": "true", "true": "true", "no": "false", "0": "false", "False": "false"} {
		t.Setenv("CARPATHIAN_STRICT", v)
		if got := effective(t, "check", "strict"); got != "--strict "+want+" env CARPATHIAN_STRICT" {
			t.Errorf("CARPATHIAN_STRICT=%s: %q", v, got)
		}
	}
	t.Setenv("CARPATHIAN_STRICT", "maybe")
	code, _, stderr := runCommand("check", "--list")
	if code != ExitUsage || stderr != "carpathian-conform: check: CARPATHIAN_STRICT=\"maybe\": not a boolean: use true/false, yes/no or 1/0\n" {
		t.Errorf("exit %d, %q", code, stderr)
	}
	os.Unsetenv("CARPATHIAN_STRICT")
	if got := effective(t, "load", "yes", "--yes=no"); got != "--yes false flag" {
		t.Errorf("--yes=no: %q", got)
	}
	if code, _, stderr := runCommand("serve", "--count-models=perhaps"); code != ExitUsage || !strings.Contains(stderr, "yes/no") {
		t.Errorf("--count-models=perhaps: exit %d, %q", code, stderr)
	}
}

// A key for the embedded server would be ignored: refused, as ratelimit
// and capacity refuse it.
func TestCheckKeyWithoutBaseURL(t *testing.T) {
	for _, flag := range []string{"--api-key", "--revoked-key"} {
		code, stdout, stderr := runCommand("check", flag, "cai_0123456789abcdef0123")
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, flag+" without --base-url") ||
			strings.Contains(stdout+stderr, "0123456789") {
			t.Errorf("%s alone: exit %d, stderr %q", flag, code, stderr)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, stdout, stderr := runCommand("completion", shell)
		if code != ExitOK || len(stdout) < 1000 || !strings.Contains(stdout, "carpathian-conform") {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(stdout), stderr)
		}
	}
	for _, args := range [][]string{{"tcsh"}, {}, {"bash", "zsh"}} {
		if code, _, stderr := runCommand("completion", args...); code != ExitUsage || !strings.Contains(stderr, "bash, zsh or fish") {
			t.Errorf("completion %v: exit %d, %q", args, code, stderr)
		}
	}
	// The script completes the subcommands and their flags from the tree.
	_, stdout, _ := runCommand("__complete", "load", "--thr")
	if !strings.Contains(stdout, "--threshold") {
		t.Errorf("completing load --thr: %q", stdout)
	}
	if _, stdout, _ := runCommand("__complete", "load", "--arrivals", ""); !strings.Contains(stdout, "uniform\npoisson\n") {
		t.Errorf("completing --arrivals: %q", stdout)
	}
	config := writeConfig(t, stagingProfile)
	if _, stdout, _ := runCommand("__complete", "check", "--config", config, "--profile", ""); !strings.HasPrefix(stdout, "prod\nstaging\n") {
		t.Errorf("completing --profile: %q", stdout)
	}
}

// Every report path ("write ... to FILE") is defined with OutputVar, so its
// variable is the command's own: a guard for flags added later.
func TestReportPathsAreOutputVars(t *testing.T) {
	root := newRoot(Env{Stdout: io.Discard, Stderr: io.Discard})
	for _, c := range root.Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			_, output := f.Annotations[outputAnnotation]
			if writes := strings.HasPrefix(f.Usage, "write "); writes != output {
				t.Errorf("%s --%s: usage %q, defined with OutputVar: %v (report paths use fs.OutputVar, nothing else does)", c.Name(), f.Name, f.Usage, output)
			}
		})
	}
}
