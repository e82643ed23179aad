package cmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// command is one subcommand: its flags and what it does with them. Each
// command's flags are defined by one function (define), so that adding a
// flag touches one place.
type command struct {
	name    string
	summary string                  // one line, in the top-level help's list of commands
	help    string                  // heads the command's --help
	define  func(fs *FlagSet)       // defines the flags; nil: none
	run     func(fs *FlagSet) error // runs once the flags and the environment are read
	// positional names the arguments the command takes (compare OLD NEW),
	// all required; run reads them as fs.Args(). None: it takes none.
	positional []string
}

// envTwins marks the commands whose flags are also read from CARPATHIAN_*
// variables (ours; not cobra's completion commands).
const envTwins = "carpathian-env"

// cobra makes the cobra command: flags parsed by pflag, then the
// environment read for the flags not on the command line, then run.
func (c command) cobra() *cobra.Command {
	cc := &cobra.Command{
		Use: c.name, Short: c.summary, Long: c.help,
		Args:        unexpectedArgument,
		Annotations: map[string]string{envTwins: "yes"},
	}
	if len(c.positional) > 0 {
		cc.Use = c.name + " " + strings.Join(c.positional, " ")
		cc.Args = positionalArgs(c.positional)
	}
	fs := &FlagSet{cc.Flags()}
	if c.define != nil {
		c.define(fs)
		acceptYesNo(fs.FlagSet)
	}
	cc.RunE = func(cc *cobra.Command, _ []string) error {
		if c.define == nil { // a command without flags has nothing to configure
			return c.run(fs)
		}
		sources, err := resolve(fs, c.name, allCommandFlags(cc.Root()))
		if err != nil {
			return err
		}
		if show, _ := fs.GetBool("print-config"); show {
			return printConfig(cc.OutOrStdout(), fs, c.name, sources)
		}
		return c.run(fs)
	}
	return cc
}

// subcommands lists the subcommands; check is also the root's own command.
func subcommands(env Env) []command {
	return []command{
		checkCommand(env),
		serveCommand(env),
		loadCommand(env),
		ratelimitCommand(env),
		capacityCommand(env),
		compareCommand(env),
		{name: "version", summary: "print the version", help: "carpathian-conform version: print the version",
			run: func(*FlagSet) error { fmt.Fprintln(env.Stdout, "carpathian-conform", Version); return nil }},
	}
}

// newRoot is the command tree: the root runs check (the default command:
// `carpathian-conform --base-url URL` checks), the subcommands hang under it.
func newRoot(env Env) *cobra.Command {
	root := checkCommand(env).cobra()
	root.Use, root.Short = "carpathian-conform", ""
	root.Args = unknownCommand
	defineConfigFlags(root.PersistentFlags())
	acceptYesNo(root.PersistentFlags())
	root.Version = Version
	root.SetVersionTemplate("carpathian-conform {{.Version}}\n")
	for _, c := range subcommands(env) {
		root.AddCommand(c.cobra())
	}
	root.AddCommand(completionCommand(env))
	registerValueCompletions(root)
	root.SilenceErrors, root.SilenceUsage = true, true // exitCode reports, in one line
	root.SetFlagErrorFunc(flagError)
	root.SetHelpFunc(writeHelp)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetContext(env.Ctx)
	return root
}

// commandName names a command in messages: the root is check.
func commandName(c *cobra.Command) string {
	if !c.HasParent() {
		return "check"
	}
	return c.Name()
}

func unknownCommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return Usagef("unknown command %q: use one of %s (see --help)", args[0], strings.Join(names, ", "))
}

func unexpectedArgument(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return Usagef("%s: unexpected argument %q (flags are written --name value; see --help)", commandName(c), args[0])
}

// positionalArgs requires exactly the arguments names.
func positionalArgs(names []string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return Usagef("%s: give %s (%d arguments), got %d (see --help)", commandName(c), strings.Join(names, " "), len(names), len(args))
		}
		return nil
	}
}

// flagError rewrites pflag's errors as one UsageError line naming the
// command; a key's value is never repeated.
func flagError(c *cobra.Command, err error) error {
	name := commandName(c)
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		f := invalid.GetFlag()
		return Usagef("%s: --%s %q: %s (see --help)", name, f.Name, redactIfKey(f.Name, invalid.GetValue()), describeValueError(invalid.Unwrap()))
	}
	msg := err.Error()
	if strings.Contains(msg, "unknown shorthand flag") {
		msg += " (flags are written --name value)"
	}
	return Usagef("%s: %s (see --help)", name, msg)
}

// describeValueError says why a value was refused, in words rather than
// strconv's.
func describeValueError(err error) string {
	var num *strconv.NumError
	switch {
	case errors.As(err, &num) && errors.Is(num.Err, strconv.ErrRange):
		return "out of range"
	case errors.As(err, &num):
		return "not a whole number"
	}
	return err.Error()
}

// hasEnvTwin tells whether a flag of one of our commands is also read from
// the environment; cobra's own --help and --version are not.
func hasEnvTwin(f *pflag.Flag) bool { return f.Name != "help" && f.Name != "version" }

func redactIfKey(name, v string) string {
	if isKeyFlag(name) {
		return "…"
	}
	return v
}
