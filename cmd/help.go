package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/carpathian-ai/carpathian-conform/reports"
)

// helpIndent indents a flag's description under its name.
const helpIndent = "      "

// writeHelp is every command's --help: what it does, then each flag with
// its placeholder, default and environment variable, sorted, wrapped to the
// width of the reports. The root's help starts with the overview.
func writeHelp(c *cobra.Command, _ []string) {
	w := c.OutOrStdout()
	if !c.HasParent() {
		topHelp(w, c)
		fmt.Fprintln(w)
	}
	about := c.Long
	if about == "" {
		about = c.Short
	}
	for _, l := range reports.Wrap(about, reports.TableWidth) {
		fmt.Fprintln(w, l)
	}
	if c.HasParent() {
		fmt.Fprintf(w, "\nUsage: %s\n", c.UseLine())
	}
	own := 0
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			own++
		}
	})
	if own == 0 { // nothing to set, nor to configure
		return
	}
	env := c.Annotations[envTwins] != "" // ours: the configuration flags apply too
	flags := pflag.NewFlagSet(c.Name(), pflag.ContinueOnError)
	flags.AddFlagSet(c.LocalFlags())
	if env {
		flags.AddFlagSet(c.InheritedFlags())
	}
	if env {
		fmt.Fprintf(w, "\nFlags (each also read from the environment variable shown):\n")
	} else {
		fmt.Fprintf(w, "\nFlags:\n")
	}
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		name, usage := placeholder(f)
		head := "  --" + f.Name
		if f.Shorthand != "" {
			head = "  -" + f.Shorthand + ", --" + f.Name
		}
		if name != "" {
			head += " " + name
		}
		fmt.Fprintln(w, head)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			usage += " (default " + f.DefValue + ")"
		}
		if env && hasEnvTwin(f) {
			usage += " [$" + envName(commandName(c), f) + "]"
		}
		for _, l := range reports.Wrap(usage, reports.TableWidth-len(helpIndent)) {
			fmt.Fprintln(w, helpIndent+l)
		}
	})
}

// placeholder is how --help names a flag's value, in one style: capitals,
// from a `PLACEHOLDER` in the usage, else from the value's type (N for
// numbers, DURATION), else the flag's name; none for a boolean.
func placeholder(f *pflag.Flag) (name, usage string) {
	name, usage = pflag.UnquoteUsage(f)
	if usage != f.Usage { // a `PLACEHOLDER` in back quotes
		return strings.ToUpper(name), usage
	}
	switch name {
	case "":
		return "", usage
	case "int", "uint", "int32", "uint32", "float":
		return "N", usage
	case "duration":
		return "DURATION", usage
	case "string", "value":
		return strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")), usage
	}
	return strings.ToUpper(name), usage
}

// topHelp is the overview: usage lines, then the commands, each summary
// wrapped under itself.
func topHelp(w io.Writer, root *cobra.Command) {
	fmt.Fprintf(w, `carpathian-conform %s: does a Carpathian AI API deployment keep its contract,
and how does it behave under load?

Usage:
  carpathian-conform [check] [--base-url URL --api-key KEY] [flags]   conformance, clause by clause
  carpathian-conform serve [--addr HOST:PORT] [flags]                 the reference server
  carpathian-conform load --base-url URL --api-key KEY --rate 5/s --duration 60s
  carpathian-conform ratelimit --base-url URL --api-key KEY --expect 60/1m
  carpathian-conform capacity --base-url URL --api-key KEY --slo 'p95<3s,success>=99%%'

Without --base-url, check runs against an embedded reference server.
Every flag can also be set as CARPATHIAN_<FLAG>, e.g. CARPATHIAN_API_KEY; a report path as
CARPATHIAN_<COMMAND>_<FLAG>, e.g. CARPATHIAN_LOAD_JSON. --config FILE --profile NAME reads
flags from a YAML profile; the command line wins over the environment, the environment over
the profile. --print-config shows where each value came from.
'carpathian-conform COMMAND --help' lists a command's flags.

Commands:
`, Version)
	const nameWidth = 12
	hanging := strings.Repeat(" ", 2+nameWidth)
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() {
			continue
		}
		for i, l := range reports.Wrap(c.Short, reports.TableWidth-len(hanging)) {
			if i == 0 {
				fmt.Fprintf(w, "  %-*s%s\n", nameWidth, c.Name(), l)
			} else {
				fmt.Fprintln(w, hanging+l)
			}
		}
	}
}
