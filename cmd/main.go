// Package cmd is carpathian-conform's command line: flag parsing, the
// CARPATHIAN_* environment, exit codes and the wiring of each subcommand to the
// libraries (suites, load, fixtures, reports). cmd/ only calls Main.
package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Version is set at build time (-ldflags "-X .../cli.Version=v1.2.3"); a
// plain go build or go install falls back to what the module knows. The
// linker can only set a variable initialised with a constant, hence init.
var Version = ""

func init() {
	if Version == "" {
		Version = buildVersion()
	}
}

func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 7 {
			return "dev-" + s.Value[:7]
		}
	}
	return "dev"
}

// Env is what a command runs with: its streams and a context cancelled on Ctrl-C.
type Env struct {
	Ctx    context.Context
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	name, summary string
	run           func(env Env, args []string) error
}

// commands lists the subcommands; the conformance run is the default.
func commands() []command {
	return []command{
		{"check", "run the conformance suite (the default when no subcommand is given)", runConform},
		{"serve", "run the reference Carpathian server, a local stand-in for the API", runServe},
		{"load", "drive chat or models calls at a controlled rate and report latency, throughput and tokens", runLoad},
		{"ratelimit", "measure what the target's rate limiter actually does", runRatelimit},
		{"capacity", "find the highest request rate that meets an SLO", runCapacity},
		{"report", "recompute the load report of one run from its results files, merging shards exactly", runReport},
		{"version", "print the version", func(env Env, _ []string) error { fmt.Fprintln(env.Stdout, "carpathian-conform", Version); return nil }},
	}
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(Env{Ctx: ctx, Stdout: stdout, Stderr: stderr}, args)
}

func run(env Env, args []string) int {
	name, rest := "check", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	switch name {
	case "help":
		topHelp(env.Stdout)
		return ExitOK
	}
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		name, rest = "version", nil
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		topHelp(env.Stdout)
		fmt.Fprintln(env.Stdout)
		rest = args
	}
	for _, c := range commands() {
		if c.name == name {
			return exitCode(env, c.run(env, rest))
		}
	}
	fmt.Fprintf(env.Stderr, "carpathian-conform: unknown command %q: use one of check, serve, load, ratelimit, capacity, report, version (see --help)\n", name)
	return ExitUsage
}

// ExitError carries an exit code out of a command that has already reported.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit %d", e.Code) }

func exitCode(env Env, err error) int {
	var ue *UsageError
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintln(env.Stderr, "carpathian-conform:", ue.Msg)
		return ExitUsage
	case errors.As(err, &ee):
		return ee.Code
	default:
		fmt.Fprintln(env.Stderr, "carpathian-conform:", err)
		return ExitErrors
	}
}

func topHelp(w io.Writer) {
	fmt.Fprintf(w, `carpathian-conform %s: does a Carpathian AI API deployment keep its contract,
and how does it behave under load?

Usage:
  carpathian-conform [check] [--base-url URL --api-key KEY] [flags]   conformance, clause by clause
  carpathian-conform serve [--addr 127.0.0.1:8080] [flags]           the reference server
  carpathian-conform load --base-url URL --api-key KEY --rate 5/s --duration 60s
  carpathian-conform ratelimit --base-url URL --api-key KEY --expect 60/1m
  carpathian-conform capacity --base-url URL --api-key KEY --slo 'p95<3s,success>=99%%'

Without --base-url, check runs against an embedded reference server.
Every flag can also be set as CARPATHIAN_<FLAG>, e.g. CARPATHIAN_API_KEY.
'carpathian-conform COMMAND --help' lists a command's flags.

Commands:
`, Version)
	for _, c := range commands() {
		sayf(w, "  %-10s %s", c.name, c.summary)
	}
}

// parseFlags parses a subcommand's flags; on --help it prints them.
func parseFlags(env Env, fs *FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.Help(env.Stdout)
	}
	return err
}
