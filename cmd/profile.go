package cmd

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	yamlv3 "go.yaml.in/yaml/v3"
)

// A --config file holds profiles, one per environment; a profile holds flags
// shared by every command that has them and, under a command's name, flags
// of that command only (they win over the shared ones):
//
//	staging:
//	  base-url: https://staging.example.com/ai/v1
//	  api-key-env: STAGING_KEY      # keys only as the names of variables
//	  rate-limit: 60/1m
//	  check:
//	    json: out/check.json
//	    strict: yes
//	  load:
//	    rate: 5/s
//	    threshold: [p99<2s, success>=99%]
//
// A key (a flag whose name ends in "key") is never written in the file: its
// <flag>-env names the environment variable that holds it.

// profile is one profile of a --config file, checked against the flags.
type profile struct {
	file, name string
	shared     map[string]setting            // flag → setting
	commands   map[string]map[string]setting // command → flag → setting
}

// setting is a flag's value(s) in a profile, or, for a key, the names of
// the variables holding it.
type setting struct {
	values  []string
	fromEnv bool // values are names of environment variables (<flag>-env)
	line    int
}

// lookup is the profile's setting of a command's flag: the command's own
// section first, then the shared one.
func (p *profile) lookup(command, flag string) (setting, bool) {
	if s, ok := p.commands[command][flag]; ok {
		return s, true
	}
	s, ok := p.shared[flag]
	return s, ok
}

// source names a setting's place in --print-config.
func (p *profile) source(s setting) string {
	return fmt.Sprintf("profile %s (%s:%d)", p.name, p.file, s.line)
}

// at starts a message about a setting: the file, the line, the profile.
func (p *profile) at(line int) string {
	return fmt.Sprintf("--config %s:%d: profile %s", p.file, line, p.name)
}

// commandFlags is what a profile is checked against: each command's flags,
// true for a report path.
type commandFlags map[string]map[string]bool

func (c commandFlags) has(command, flag string) bool {
	_, ok := c[command][flag]
	return ok
}

func (c commandFlags) anyHas(flag string) bool {
	for command := range c {
		if c.has(command, flag) {
			return true
		}
	}
	return false
}

// isOutput tells whether a flag is a report path of some command.
func (c commandFlags) isOutput(flag string) bool {
	for command := range c {
		if c[command][flag] {
			return true
		}
	}
	return false
}

// notInProfile are the flags that choose or show the configuration itself.
var notInProfile = []string{"config", "profile", "print-config", "help", "version"}

// looksLikeKey is a cai_ key written out, wherever it is in the file.
var looksLikeKey = regexp.MustCompile(`cai_[0-9A-Za-z_-]{6,}`)

// isKeyFlag tells whether a flag holds a key: never printed in full, never
// written in a config file.
func isKeyFlag(name string) bool { return strings.HasSuffix(name, "key") }

// newConfigReader reads the YAML of a --config file: paths are names joined
// by NUL, which no flag's name holds.
func newConfigReader(data []byte) (*koanf.Koanf, error) {
	k := koanf.New("\x00")
	return k, k.Load(rawbytes.Provider(data), yaml.Parser())
}

// profileNames lists the profiles of a --config file (none if it does not parse).
func profileNames(data []byte) []string {
	k, err := newConfigReader(data)
	if err != nil {
		return nil
	}
	return k.MapKeys("")
}

// parseProfile reads profile name from the YAML of a --config file, refusing
// what no flag takes and any key written in it, naming the line.
func parseProfile(file string, data []byte, name string, flags commandFlags) (*profile, error) {
	k, err := newConfigReader(data)
	if err != nil {
		return nil, Usagef("--config %s: %v", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	lines, err := lineIndex(data)
	if err != nil {
		return nil, Usagef("--config %s: %v", file, err)
	}
	if l, ok := keyLiteral(data); ok {
		return nil, Usagef("--config %s:%d: a cai_ key is written in the file: put it in an environment variable and name that (api-key-env: VARIABLE)", file, l)
	}
	if flag, l, ok := keyFlagLiteral(lines); ok { // in any profile, not only the one used
		return nil, Usagef("--config %s:%d: %s holds a key in the file: put the key in an environment variable and write %s-env: VARIABLE", file, l, flag, flag)
	}
	profiles := k.MapKeys("")
	if !slices.Contains(profiles, name) {
		if len(profiles) == 0 {
			return nil, Usagef("--config %s: no profiles in the file: write a profile's name, then its flags under it (NAME:, then   flag: value)", file)
		}
		return nil, Usagef("--config %s: no profile %q; it has %s", file, name, strings.Join(profiles, ", "))
	}
	if _, ok := k.Get(name).(map[string]any); !ok {
		return nil, Usagef("--config %s:%d: profile %s is not a list of flag: value", file, lines[name], name)
	}
	p := &profile{file: file, name: name, shared: map[string]setting{}, commands: map[string]map[string]setting{}}
	for _, key := range k.MapKeys(name) {
		path := name + "\x00" + key
		if _, ok := k.Get(path).(map[string]any); ok {
			if _, isCommand := flags[key]; !isCommand {
				return nil, Usagef("--config %s:%d: %q is not a command (sections are command names: %s)", file, lines[path], key, strings.Join(sortedKeys(flags), ", "))
			}
			p.commands[key] = map[string]setting{}
			for _, flag := range k.MapKeys(path) {
				s, err := p.read(k, lines, path+"\x00"+flag, flag, func(f string) bool { return flags.has(key, f) }, key)
				if err != nil {
					return nil, err
				}
				p.commands[key][strings.TrimSuffix(flag, "-env")] = s
			}
			continue
		}
		s, err := p.read(k, lines, path, key, flags.anyHas, "")
		if err != nil {
			return nil, err
		}
		if flags.isOutput(key) { // shared, every command would write its report there
			return nil, Usagef("%s: %s is a report path: give it under each command that writes it, e.g. check: {%s: FILE}", p.at(s.line), key, key)
		}
		p.shared[strings.TrimSuffix(key, "-env")] = s
	}
	return p, nil
}

// read checks one flag: value of a profile (command is "" in the shared part).
func (p *profile) read(k *koanf.Koanf, lines map[string]int, path, flag string, known func(string) bool, command string) (setting, error) {
	line := lines[path]
	at := p.at(line)
	if command != "" {
		at += ", " + command
	}
	flagName, fromEnv := strings.CutSuffix(flag, "-env")
	switch {
	case slices.Contains(notInProfile, flag):
		return setting{}, Usagef("%s: --%s chooses the configuration; it has no place in a profile", at, flag)
	case fromEnv && !isKeyFlag(flagName):
		return setting{}, Usagef("%s: %s: only keys are read from a variable named in the file; write %s: VALUE", at, flag, flagName)
	case !known(flagName) && command != "":
		return setting{}, Usagef("%s: %s has no flag --%s", at, command, flagName)
	case !known(flagName):
		return setting{}, Usagef("%s: no command has a flag --%s", at, flagName)
	}
	s := setting{line: line, fromEnv: fromEnv}
	switch v := k.Get(path).(type) {
	case []any:
		for _, item := range v {
			if _, ok := item.(map[string]any); ok {
				return setting{}, Usagef("%s: %s: a list of values, not of sections", at, flag)
			}
			s.values = append(s.values, fmt.Sprint(item))
		}
	case map[string]any:
		return setting{}, Usagef("%s: %s: a value, not a section", at, flag)
	case nil:
		return setting{}, Usagef("%s: %s has no value", at, flag)
	default:
		s.values = []string{fmt.Sprint(v)}
	}
	return s, nil
}

// lineIndex maps each key's path (names joined by NUL, as read) to its line.
func lineIndex(data []byte) (map[string]int, error) {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	lines := map[string]int{}
	var walk func(n *yamlv3.Node, path string)
	walk = func(n *yamlv3.Node, path string) {
		switch n.Kind {
		case yamlv3.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yamlv3.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "\x00" + p
				}
				lines[p] = n.Content[i].Line
				walk(n.Content[i+1], p)
			}
		}
	}
	walk(&doc, "")
	return lines, nil
}

// keyLiteral finds a cai_ key written anywhere in the file: its line.
func keyLiteral(data []byte) (int, bool) {
	for i, l := range strings.Split(string(data), "\n") {
		if code, _, _ := strings.Cut(l, "#"); looksLikeKey.MatchString(code) {
			return i + 1, true
		}
	}
	return 0, false
}

// keyFlagLiteral finds the first key flag given a value rather than a
// variable's name (api-key: rather than api-key-env:).
func keyFlagLiteral(lines map[string]int) (flag string, line int, found bool) {
	for path, l := range lines {
		parts := strings.Split(path, "\x00")
		if last := parts[len(parts)-1]; len(parts) > 1 && isKeyFlag(last) && (!found || l < line) {
			flag, line, found = last, l, true
		}
	}
	return flag, line, found
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
