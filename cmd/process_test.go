package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Ginkgo's suite is process-global: check's specs run once per process, and
// Ginkgo exits the process at once when the test binary was given a -count
// other than 1. So every check (the root's default command too) runs in a
// fresh copy of this test binary, which neither parses the test flags nor
// shares the suite with another test or another -count round.

// childArgs, set in a child's environment, holds the command line it runs.
const childArgs = "CONFORM_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgs); ok {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			fmt.Fprintln(os.Stderr, "test child:", err)
			os.Exit(125)
		}
		os.Exit(run(Env{Ctx: context.Background(), Stdout: os.Stdout, Stderr: os.Stderr}, a))
	}
	os.Exit(m.Run())
}

// runsSpecs says whether a command line reaches Ginkgo: check, or the root
// (whose default is check) given only flags.
func runsSpecs(args []string) bool {
	return len(args) > 0 && (args[0] == "check" || strings.HasPrefix(args[0], "-"))
}

// runInChild runs a command line in a fresh test process; ctx kills it.
func runInChild(ctx context.Context, args []string) (code int, stdout, stderr string, err error) {
	a, err := json.Marshal(args)
	if err != nil {
		return 0, "", "", err
	}
	var out, errb strings.Builder
	c := exec.CommandContext(ctx, os.Args[0])
	c.Env = append(os.Environ(), childArgs+"="+string(a))
	c.Stdout, c.Stderr = &out, &errb
	err = c.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 && exit.ExitCode() != 125 {
		return exit.ExitCode(), out.String(), errb.String(), nil
	}
	return 0, out.String(), errb.String(), err
}

// -count above 1 runs check again in the same test binary: each run still
// gets a fresh suite.
func TestCheckRunsAgainInOneTestProcess(t *testing.T) {
	for range 2 {
		if code, stdout, stderr := runCommand("check", "--list"); code != ExitOK || !strings.Contains(stdout, "ROUTE-1") {
			t.Fatalf("check --list: exit %d, stderr %q", code, stderr)
		}
	}
}
