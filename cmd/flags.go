package cmd

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// Exit codes, the same for every subcommand: defined once, in results.
const (
	ExitOK        = results.ExitOK
	ExitViolation = results.ExitViolation
	ExitUsage     = results.ExitUsage
	ExitErrors    = results.ExitErrors
	ExitThreshold = results.ExitThreshold
)

// UsageError is bad input: printed as one line, exit 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// EnvPrefix starts the environment equivalent of every flag: --base-url is
// CARPATHIAN_BASE_URL.
const EnvPrefix = "CARPATHIAN_"

// EnvName is the environment variable that stands for a flag shared by the
// commands (the target, the keys, the limits): --base-url is
// CARPATHIAN_BASE_URL for every command.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// outputAnnotation marks the report paths: each command has its own
// variable for them, so a job that runs several commands does not write
// every report to one file.
const outputAnnotation = "carpathian-output"

// envName is the environment variable of a command's flag: the shared name,
// or for a report path CARPATHIAN_<COMMAND>_<FLAG> (CARPATHIAN_LOAD_JSON).
func envName(command string, f *pflag.Flag) string {
	if _, ok := f.Annotations[outputAnnotation]; ok {
		return EnvName(command + "-" + f.Name)
	}
	return EnvName(f.Name)
}

// FlagSet is a subcommand's flags: pflag's (GNU style, --name value or
// --name=value), plus the helpers every command defines its flags with.
// Every flag has a CARPATHIAN_* equivalent, which the command line overrides.
type FlagSet struct {
	*pflag.FlagSet
}

// Given tells whether a flag was set: on the command line, in the
// environment or by a --config profile.
func (fs *FlagSet) Given(name string) bool { return fs.Changed(name) }

// OutputVar defines a report path: a FILE the command writes. Its
// environment variable is the command's own (CARPATHIAN_CHECK_JSON).
func (fs *FlagSet) OutputVar(p *string, name, usage string) {
	fs.StringVar(p, name, "", usage)
	_ = fs.SetAnnotation(name, outputAnnotation, []string{"yes"})
}

// boolValue is a boolean flag that also takes yes/no and 1/0, wherever its
// value comes from (command line, environment, profile).
type boolValue struct{ pflag.Value }

// errNotBoolean says what a boolean takes.
var errNotBoolean = errors.New("not a boolean: use true/false, yes/no or 1/0")

func (b boolValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1":
		return b.Value.Set("true")
	case "false", "no", "0":
		return b.Value.Set("false")
	}
	return errNotBoolean
}

// acceptYesNo makes every boolean flag of fs a boolValue, those defined
// with pflag's BoolVar included.
func acceptYesNo(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if _, done := f.Value.(boolValue); f.Value.Type() == "bool" && !done {
			f.Value = boolValue{f.Value}
		}
	})
}

// Var defines a flag of a type with the standard library's flag.Value
// methods (the libraries' Limit, Rate, Warmup... are such). A `PLACEHOLDER`
// in back quotes in usage names the value in --help.
func (fs *FlagSet) Var(value flag.Value, name, usage string) {
	fs.FlagSet.Var(goValue{value}, name, usage)
}

// goValue gives a flag.Value the Type pflag wants: its own Type if it has
// one, else "value", which --help shows as the flag's name in capitals
// unless the usage has a `PLACEHOLDER`.
type goValue struct{ flag.Value }

func (v goValue) Type() string {
	if t, ok := v.Value.(interface{ Type() string }); ok {
		return t.Type()
	}
	return "value"
}

// StringList is a repeatable string flag (--api-key A --api-key B); from the
// environment it is comma-separated.
type StringList []string

func (s *StringList) String() string { return strings.Join(*s, ",") }
func (s *StringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

// Patterns is a repeatable flag whose values are kept whole (regular
// expressions may hold commas); from the environment it takes one value.
type Patterns []string

func (p *Patterns) String() string     { return strings.Join(*p, " ") }
func (p *Patterns) Set(v string) error { *p = append(*p, v); return nil }

// repeatable tells whether a flag takes several values (a list in a profile).
func repeatable(f *pflag.Flag) bool {
	if v, ok := f.Value.(goValue); ok {
		switch v.Value.(type) {
		case *StringList, *Patterns:
			return true
		}
	}
	return false
}

// Common flags, defined one way for every subcommand that takes them.

// PositiveDuration defines a duration flag that must be above zero.
func (fs *FlagSet) PositiveDuration(p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	fs.Var(&positiveDuration{p}, name, usage)
	fs.Lookup(name).DefValue = def.String()
}

type positiveDuration struct{ p *time.Duration }

func (d *positiveDuration) Type() string { return "duration" }

func (d *positiveDuration) String() string {
	if d.p == nil {
		return ""
	}
	return d.p.String()
}

func (d *positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is not a positive duration like 30s or 2m", s)
	}
	*d.p = v
	return nil
}
