// Package cmd is carpathian-conform's command line: the commands (cobra) and
// their flags (pflag, GNU style), the CARPATHIAN_* environment, exit codes and
// the wiring of each subcommand to the libraries (suites, load, fixtures,
// reports). cmd/carpathian-conform only calls Main.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/spf13/cobra"
)

// Version is set at build time (-ldflags "-X .../cmd.Version=v1.2.3"); a
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

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	// tablewriter memoizes text widths in an 8192-entry cache made at start;
	// our tables have a few hundred cells, and the big one would stay live
	// through a load run (each live byte costs about two of RSS at GOGC=100).
	twwidth.SetCacheCapacity(tableWidthCache)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(Env{Ctx: ctx, Stdout: stdout, Stderr: stderr}, args)
}

// tableWidthCache is how many text widths tablewriter memoizes.
const tableWidthCache = 512

func run(env Env, args []string) int { return execute(env, newRoot(env), args) }

// execute runs a command tree and turns its outcome into the exit code.
func execute(env Env, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	c, err := root.ExecuteC()
	var ue *UsageError
	if err != nil && c.Annotations[envTwins] == "" && !errors.As(err, &ue) {
		err = Usagef("%s: %v", c.CommandPath(), err) // cobra's own commands (completion) refuse only arguments
	}
	return exitCode(env, err)
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
