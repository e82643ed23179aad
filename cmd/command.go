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
	name     string
	operands string                                 // what follows the flags in its usage, e.g. "OLD NEW"; "": nothing
	summary  string                                 // one line, in the top-level help's list of commands
	help     string                                 // heads the command's --help
	define   func(fs *FlagSet)                      // defines the flags; nil: none
	args     cobra.PositionalArgs                   // checks the operands (a UsageError); nil: none taken
	run      func(fs *FlagSet, args []string) error // runs once the flags, environment and profile are read
}

// envTwins marks the commands whose flags are also read from CARPATHIAN_*
// variables (ours; not cobra's completion commands).
const envTwins = "carpathian-env"

// cobra makes the cobra command: flags parsed by pflag; then the flags not
// on the command line read from the environment and the --config profile
// (resolve); then run, or --print-config.
func (c command) cobra() *cobra.Command {
	cc := &cobra.Command{
		Use: strings.TrimSpace(c.name + " " + c.operands), Short: c.summary, Long: c.help,
		Args:        c.args,
		Annotations: map[string]string{envTwins: "yes"},
	}
	if cc.Args == nil {
		cc.Args = unexpectedArgument
	} else { // cobra's checks (ExactArgs...) say what is wrong: made usage errors
		cc.Args = func(cc *cobra.Command, args []string) error {
			err := c.args(cc, args)
			var ue *UsageError
			if err != nil && !errors.As(err, &ue) {
				err = Usagef("%s: %v (usage: %s)", c.name, err, cc.UseLine())
			}
			return err
		}
	}
	fs := &FlagSet{cc.Flags()}
	if c.define != nil {
		c.define(fs)
		acceptYesNo(fs.FlagSet)
	}
	cc.RunE = func(cc *cobra.Command, args []string) error {
		if c.define == nil { // a command without flags has nothing to configure
			return c.run(fs, args)
		}
		sources, err := resolve(fs, c.name, allCommandFlags(cc.Root()))
		if err != nil {
			return err
		}
		if show, _ := fs.GetBool("print-config"); show {
			return printConfig(cc.OutOrStdout(), fs, c.name, sources)
		}
		return c.run(fs, args)
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
		reportCommand(env),
		compareCommand(env),
		{name: "version", summary: "print the version", help: "carpathian-conform version: print the version",
			run: func(*FlagSet, []string) error { return printVersion(env) }},
	}
}

func printVersion(env Env) error {
	_, err := fmt.Fprintln(env.Stdout, "carpathian-conform", Version)
	return err
}

// newRoot is the command tree: the root runs check (the default command:
// `carpathian-conform --base-url URL` checks), the subcommands hang under it.
func newRoot(env Env) *cobra.Command {
	root := checkCommand(env).cobra()
	root.Use, root.Short = "carpathian-conform", ""
	root.Args = unknownCommand
	defineConfigFlags(root.PersistentFlags())
	acceptYesNo(root.PersistentFlags())
	// --version is ours, not cobra's: cobra prints a version through
	// text/template, whose reflection keeps every exported method of every
	// linked type (the OpenAI SDK's whole API surface) in the binary.
	root.Flags().Bool("version", false, "print the version and exit")
	runCheck := root.RunE
	root.RunE = func(cc *cobra.Command, args []string) error {
		if show, _ := cc.Flags().GetBool("version"); show {
			return printVersion(env)
		}
		return runCheck(cc, args)
	}
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
