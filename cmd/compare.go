package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/carpathian-ai/carpathian-conform/internal/compare"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// compareCommand is `compare OLD NEW`: what changed between two runs.
func compareCommand(env Env) command {
	f := &compareFlags{}
	return command{name: "compare", operands: "OLD NEW", args: cobra.ExactArgs(2),
		summary: "compare two JSON reports of check or load: regressions, fixes, figures side by side",
		help: "carpathian-conform compare OLD NEW: compare two JSON reports (check --json, or load --json). " +
			"Conformance: the clauses and specs that newly FAIL or ERROR (exit 1), were fixed, waived, appeared or vanished. " +
			"Load: p50, p95, p99, p99.9, success, achieved rate and tokens/s side by side, judged against --max-regression (exit 4 when exceeded).",
		define: f.define, run: func(fs *FlagSet, args []string) error { return f.run(env, args) }}
}

// compareFlags are the compare command's flags.
type compareFlags struct {
	maxRegression      string
	jsonPath, markdown string
	noStepSummary      bool
}

func (f *compareFlags) define(fs *FlagSet) {
	fs.StringVar(&f.maxRegression, "max-regression", "", "load only: how much worse each figure may get, `LIMITS` like 'p99=+10%,success=-0.5pp,p95=+200ms,rate=-5%' (exit 4 beyond)")
	fs.OutputVar(&f.jsonPath, "json", "write the comparison as JSON to `FILE` ('-': stdout)")
	fs.OutputVar(&f.markdown, "markdown", "write the comparison as Markdown (a pull request, a step summary) to `FILE` ('-': stdout)")
	defineStepSummary(fs, &f.noStepSummary)
}

func (f *compareFlags) run(env Env, args []string) error {
	limits, err := compare.ParseLimits(f.maxRegression)
	if err != nil {
		return Usagef("compare: %v", err)
	}
	if err := checkWritable(f.jsonPath, f.markdown); err != nil {
		return Usagef("compare: %v", err)
	}
	old, err := compare.Read(args[0])
	if err != nil {
		return Usagef("compare: %v", err)
	}
	new, err := compare.Read(args[1])
	if err != nil {
		return Usagef("compare: %v", err)
	}
	res, err := compare.Compare(old, new, limits)
	if err != nil {
		return Usagef("compare: %v", err)
	}
	stdout := env.Stdout // where a report path of "-" goes
	if anyStdout(f.jsonPath, f.markdown) {
		env.Stdout = env.Stderr // the table steps aside: the file pipes clean
	}
	if err := reports.WriteCompare(env.Stdout, res); err != nil {
		return err
	}
	var writeErr error
	if f.jsonPath != "" {
		writeErr = reports.WriteFile(f.jsonPath, stdout, "comparison", func(w io.Writer) error { return reports.WriteCompareJSON(w, res) })
	}
	if f.markdown != "" {
		if err := reports.WriteFile(f.markdown, stdout, "comparison", func(w io.Writer) error { return reports.WriteCompareMarkdown(w, res) }); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	appendStepSummary(env, f.noStepSummary, func(w io.Writer) error { return reports.WriteCompareMarkdown(w, res) })
	if writeErr != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform: compare:", writeErr)
		return &ExitError{Code: ExitErrors}
	}
	if code := res.ExitCode(); code != ExitOK {
		return &ExitError{Code: code}
	}
	return nil
}
