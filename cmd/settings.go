package cmd

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// Where a flag's effective value comes from, highest first: the command
// line, the environment, the --config profile, the default.
const (
	fromFlag    = "flag"
	fromEnv     = "env"
	fromProfile = "profile"
	fromDefault = "default"
)

// defineConfigFlags are the root's flags that choose and show the
// configuration, shared by every command.
func defineConfigFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "read flags from this YAML `FILE` of profiles, one per environment (keys only as names of variables: api-key-env: VARIABLE)")
	fs.String("profile", "", "the `NAME` of the profile of --config to use")
	fs.Bool("print-config", false, "print each flag's effective value and where it came from (flag, env, profile, default), then exit")
}

// resolve completes the flags not given on the command line: from the
// environment, then from the --config profile. It returns where each
// flag's value came from.
func resolve(fs *FlagSet, command string, flags commandFlags) (map[string]string, error) {
	sources := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			sources[f.Name] = fromFlag
		}
	})
	if err := applyEnvironment(fs, command, sources); err != nil {
		return nil, err
	}
	if err := applyProfile(fs, command, flags, sources); err != nil {
		return nil, err
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if sources[f.Name] == "" {
			sources[f.Name] = fromDefault
		}
	})
	return sources, nil
}

// applyEnvironment sets each flag not given on the command line from its
// CARPATHIAN_* variable, if set. The report paths' old shared names are
// refused: one CARPATHIAN_JSON for every command overwrote reports.
func applyEnvironment(fs *FlagSet, command string, sources map[string]string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || !hasEnvTwin(f) {
			return
		}
		name := envName(command, f)
		if shared := EnvName(f.Name); shared != name {
			if _, set := os.LookupEnv(shared); set {
				err = Usagef("%s: %s is no longer read: each command has its own report paths; set %s", command, shared, name)
				return
			}
		}
		v, ok := os.LookupEnv(name)
		if !ok || f.Changed {
			return
		}
		if e := setFlag(fs, f, v); e != nil {
			err = Usagef("%s: %s=%q: %v", command, name, redactIfKey(f.Name, v), e)
			return
		}
		sources[f.Name] = fromEnv + " " + name
	})
	return err
}

// applyProfile sets the flags still unset from the --profile of --config.
func applyProfile(fs *FlagSet, command string, flags commandFlags, sources map[string]string) error {
	file, _ := fs.GetString("config")
	name, _ := fs.GetString("profile")
	switch {
	case file == "" && name != "":
		return Usagef("%s: --profile %s: give --config FILE too (the file that holds the profile)", command, name)
	case file == "":
		return nil
	case name == "":
		return Usagef("%s: --config %s: give --profile NAME too (or set %s)", command, file, EnvName("profile"))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Usagef("%s: --config: %v", command, err)
	}
	p, err := parseProfile(file, data, name, flags)
	if err != nil {
		return err
	}
	fs.VisitAll(func(f *pflag.Flag) {
		s, ok := p.lookup(command, f.Name)
		if err != nil || f.Changed || !ok {
			return
		}
		if len(s.values) > 1 && !repeatable(f) {
			err = Usagef("%s: %s takes one value, not a list", p.at(s.line), f.Name)
			return
		}
		values, via := s.values, ""
		if s.fromEnv {
			values = nil
			for _, variable := range s.values {
				v := os.Getenv(variable)
				if v == "" {
					err = Usagef("%s: %s-env names %s, which is not set", p.at(s.line), f.Name, variable)
					return
				}
				values = append(values, v)
			}
			via = " via " + strings.Join(s.values, ", ")
		}
		for _, v := range values {
			if e := setFlag(fs, f, v); e != nil {
				err = Usagef("%s: %s %q: %v", p.at(s.line), f.Name, redactIfKey(f.Name, v), e)
				return
			}
		}
		sources[f.Name] = p.source(s) + via
	})
	return err
}

// setFlag sets a flag as the command line would, an error in words.
func setFlag(fs *FlagSet, f *pflag.Flag, v string) error {
	err := fs.Set(f.Name, v)
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		return errors.New(describeValueError(invalid.Unwrap()))
	}
	return err
}

// allCommandFlags lists every command's flags, to check a profile against.
func allCommandFlags(root *cobra.Command) commandFlags {
	flags := commandFlags{}
	for _, c := range root.Commands() {
		if c.Annotations[envTwins] == "" {
			continue
		}
		flags[c.Name()] = map[string]bool{}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			_, output := f.Annotations[outputAnnotation]
			flags[c.Name()][f.Name] = output
		})
	}
	return flags
}

// shownValue is a flag's value as --print-config shows it: a key as
// cai_…1a2b, a header by its name only (it may carry a gateway's secret).
func shownValue(f *pflag.Flag) string {
	value := f.Value.String()
	switch {
	case isKeyFlag(f.Name) && value != "":
		var keys []string
		for _, k := range strings.Split(value, ",") {
			keys = append(keys, target.Redact(k))
		}
		return strings.Join(keys, ",")
	case f.Name == "header":
		v, _ := f.Value.(goValue)
		headers, ok := v.Value.(*Patterns)
		if !ok {
			return "…"
		}
		var names []string
		for _, h := range *headers {
			name, _, _ := strings.Cut(h, ":")
			names = append(names, strings.TrimSpace(name)+": …")
		}
		return strings.Join(names, ", ")
	}
	return value
}

// printConfig shows each flag's effective value and where it came from; a
// key shows as cai_…1a2b.
func printConfig(w io.Writer, fs *FlagSet, command string, sources map[string]string) error {
	var rows [][]string
	fs.VisitAll(func(f *pflag.Flag) {
		if !hasEnvTwin(f) || f.Name == "print-config" {
			return
		}
		rows = append(rows, []string{"--" + f.Name, shownValue(f), sources[f.Name]})
	})
	return reports.Table(w, command+": effective configuration (flag wins over env, env over profile, profile over default):",
		[]string{"flag", "value", "from"}, rows, nil)
}
