// Package examples holds CI configurations that run carpathian-conform as a
// nightly gate; its test keeps their command lines true to the tool.
package examples

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/carpathian-ai/carpathian-conform/cmd"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// Every carpathian-conform command line of each CI file is a real command
// with real flags and values, the nightly gate's commands are all there, and
// the waiver files they name read.
func TestCIExamplesUseRealCommandLines(t *testing.T) {
	for file, scripts := range map[string]func(*testing.T, map[string]any) []string{
		"github-nightly.yml": githubScripts,
		"gitlab-nightly.yml": gitlabScripts,
	} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("%s is not YAML: %v", file, err)
			}
			var seen []string
			for _, script := range scripts(t, doc) {
				for _, args := range commandLines(script) {
					if err := cmd.ParseCommandLine(args); err != nil {
						t.Errorf("carpathian-conform %s: %v", strings.Join(args, " "), err)
					}
					seen = append(seen, args[0])
					if i := slices.Index(args, "--waivers"); i >= 0 && i+1 < len(args) {
						if _, err := results.LoadWaivers(filepath.Join("..", args[i+1])); err != nil {
							t.Error(err)
						}
					}
				}
			}
			for _, want := range []string{"check", "compare", "load"} {
				if !slices.Contains(seen, want) {
					t.Errorf("no carpathian-conform %s in %s (found %v)", want, file, seen)
				}
			}
		})
	}
}

// The check above can fail: a flag or command the tool does not have is
// refused.
func TestParseCommandLineRefusesWhatTheToolLacks(t *testing.T) {
	for _, bad := range [][]string{
		{"check", "--colour"},
		{"compare", "old.json"},
		{"load", "--rate", "fast"},
		{"nightly"},
	} {
		if cmd.ParseCommandLine(bad) == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if err := cmd.ParseCommandLine([]string{"check", "--rate-limit", "60/1m", "--json", "-"}); err != nil {
		t.Errorf("a good command line refused: %v", err)
	}
}

// githubScripts are the run: scripts of every step of every job.
func githubScripts(t *testing.T, doc map[string]any) []string {
	var out []string
	jobs, _ := doc["jobs"].(map[string]any)
	for _, job := range jobs {
		steps, _ := job.(map[string]any)["steps"].([]any)
		for _, s := range steps {
			if run, ok := s.(map[string]any)["run"].(string); ok {
				out = append(out, run)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no run: steps")
	}
	return out
}

// gitlabScripts are the script lines of every job.
func gitlabScripts(t *testing.T, doc map[string]any) []string {
	var out []string
	for _, v := range doc {
		job, ok := v.(map[string]any)
		if !ok {
			continue
		}
		for _, key := range []string{"before_script", "script", "after_script"} {
			lines, _ := job[key].([]any)
			for _, l := range lines {
				if s, ok := l.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no script lines")
	}
	return out
}

// commandLines finds the carpathian-conform commands of a shell script, each
// as its arguments after the program's name.
func commandLines(script string) [][]string {
	var out [][]string
	for _, words := range shellCommands(script) {
		for len(words) > 0 && (strings.Contains(words[0], "=") || slices.Contains([]string{"if", "then", "else", "do", "!", "{"}, words[0])) {
			words = words[1:] // VAR=value prefixes and shell keywords
		}
		if len(words) > 1 && filepath.Base(words[0]) == "carpathian-conform" {
			out = append(out, words[1:])
		}
	}
	return out
}

// shellCommands splits a script into simple commands of words: quotes
// removed, line continuations joined, split at newlines, ;, &&, ||, |, ( and ).
// It is just enough shell for CI scripts.
func shellCommands(script string) [][]string {
	var cmds [][]string
	var words []string
	var word strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCommand := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	r := []rune(script)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r) && r[i+1] == '\n':
			i++
		case c == '\\' && i+1 < len(r):
			i++
			word.WriteRune(r[i])
			inWord = true
		case c == '\'' || c == '"':
			inWord = true
			for i++; i < len(r) && r[i] != c; i++ {
				if c == '"' && r[i] == '\\' && i+1 < len(r) {
					i++
				}
				word.WriteRune(r[i])
			}
		case c == '#' && !inWord:
			for i < len(r) && r[i] != '\n' {
				i++
			}
			endCommand()
		case strings.ContainsRune("\n;&|()", c):
			endCommand()
		case c == ' ' || c == '\t':
			endWord()
		default:
			word.WriteRune(c)
			inWord = true
		}
	}
	endCommand()
	return cmds
}
