package cmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/reports"
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

// EnvName is the environment variable that stands for a flag.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// FlagSet is a subcommand's flags. Every flag has a CARPATHIAN_* equivalent,
// which the command line overrides.
type FlagSet struct {
	*flag.FlagSet
	command string
	summary string
	given   map[string]bool // set on the command line or in the environment
}

// NewFlagSet makes the flags of one subcommand; summary heads its --help.
func NewFlagSet(command, summary string) *FlagSet {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &FlagSet{FlagSet: fs, command: command, summary: summary}
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

// Parse reads args, then the environment for flags not on the command line.
// It returns flag.ErrHelp for -h/--help, a UsageError for anything wrong.
func (fs *FlagSet) Parse(args []string) error {
	if err := fs.FlagSet.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		// The flag package writes "-name"; the help and docs write "--name".
		msg := strings.NewReplacer("flag provided but not defined: -", "unknown flag: --",
			"flag needs an argument: -", "flag needs an argument: --", "for flag -", "for flag --").Replace(err.Error())
		return Usagef("%s: %s (see --help)", fs.command, msg)
	}
	if fs.NArg() > 0 {
		return Usagef("%s: unexpected argument %q (flags are written --name value; see --help)", fs.command, fs.Arg(0))
	}
	fs.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { fs.given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if fs.given[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(EnvName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = Usagef("%s=%q: %v", EnvName(f.Name), redactIfKey(f.Name, v), e)
			}
			fs.given[f.Name] = true
		}
	})
	return err
}

// Given tells whether a flag was set, on the command line or in the environment.
func (fs *FlagSet) Given(name string) bool { return fs.given[name] }

// Help writes the subcommand's help: summary, then each flag with its default
// and environment variable, sorted, wrapped to the width of the reports.
func (fs *FlagSet) Help(w io.Writer) {
	for _, l := range reports.Wrap(fs.summary, reports.TableWidth) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "\nFlags (each also read from the environment variable shown):\n")
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	const indent = "      "
	for _, f := range flags {
		name, usage := flag.UnquoteUsage(f)
		if name == "value" { // a custom flag.Value with no `name` in its usage
			name = strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		}
		head := "  --" + f.Name
		if name != "" {
			head += " " + name
		}
		fmt.Fprintln(w, head)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			usage += " (default " + f.DefValue + ")"
		}
		usage += " [$" + EnvName(f.Name) + "]"
		for _, l := range reports.Wrap(usage, reports.TableWidth-len(indent)) {
			fmt.Fprintln(w, indent+l)
		}
	}
}

func redactIfKey(name, v string) string {
	if strings.HasSuffix(name, "key") {
		return "…"
	}
	return v
}

// Common flags, defined one way for every subcommand that takes them.

// PositiveDuration defines a duration flag that must be above zero.
func (fs *FlagSet) PositiveDuration(p *time.Duration, name string, def time.Duration, usage string) {
	fs.Var(&positiveDuration{p}, name, usage)
	*p = def
	fs.Lookup(name).DefValue = def.String()
}

type positiveDuration struct{ p *time.Duration }

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
