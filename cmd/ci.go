package cmd

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/carpathian-ai/carpathian-conform/internal/output"
)

// stepSummaryEnv is where GitHub Actions reads a job's Markdown summary.
const stepSummaryEnv = "GITHUB_STEP_SUMMARY"

// appendStepSummary adds a Markdown report to the GitHub Actions step
// summary when the job has one ($GITHUB_STEP_SUMMARY set) and --no-step-summary
// was not given. It appends, as every step does, and never replaces the file.
// A failure is said on stderr: the run's verdict stands.
func appendStepSummary(env Env, off bool, render func(io.Writer) error) {
	path := os.Getenv(stepSummaryEnv)
	if off || path == "" {
		return
	}
	var b bytes.Buffer
	err := render(&b)
	if err == nil {
		b.WriteString("\n")
		err = output.AppendFile(path, env.Stdout, b.Bytes())
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "carpathian-conform: cannot append the step summary to $%s (%s): %v\n", stepSummaryEnv, path, err)
	}
}

// defineStepSummary defines --no-step-summary.
func defineStepSummary(fs *FlagSet, p *bool) {
	fs.BoolVar(p, "no-step-summary", false, "do not append the Markdown summary to $"+stepSummaryEnv+" (GitHub Actions)")
}
