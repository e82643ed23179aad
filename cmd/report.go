package cmd

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// reportFlags are the report command's flags.
type reportFlags struct {
	thresholds         StringList
	jsonPath, htmlPath string
}

func (f *reportFlags) define(fs *FlagSet) {
	fs.Var(&f.thresholds, "threshold", "CI gate on the merged figures, repeatable: p99<2s, success>=99.5%, offered_rate>=400/s (breached: exit 4)")
	fs.OutputVar(&f.jsonPath, "json", "write the merged summary as JSON (a superset of vegeta's report -type=json) to `FILE`")
	fs.OutputVar(&f.htmlPath, "html", "write the self-contained HTML report of the merged run to `FILE` (as load --html)")
}

// reportCommand recomputes a load report from results files.
func reportCommand(env Env) command {
	f := &reportFlags{}
	return command{name: "report", operands: "FILE...", args: cobra.MinimumNArgs(1),
		summary: "recompute the load report of one run from its results files, merging shards exactly",
		help: "carpathian-conform report FILE...: the load report of one run, recomputed from its results files " +
			"(load --output, one per shard, each with its .meta.json beside it): tables, JSON, HTML and thresholds; " +
			"percentiles from every sample, offered rate and missed slots added up. Files of different runs or " +
			"targets are refused. A pattern such as 'results-*of8.bin' is expanded.",
		define: f.define, run: func(_ *FlagSet, args []string) error { return f.run(env, args) }}
}

// run merges the results files into one load report.
func (f *reportFlags) run(env Env, args []string) error {
	files, err := expandFiles(args)
	if err != nil {
		return Usagef("report: %v", err)
	}
	thresholds, err := load.ParseThresholds(f.thresholds)
	if err != nil {
		return Usagef("report: %v", err)
	}
	if err := checkWritable(f.jsonPath, f.htmlPath); err != nil {
		return Usagef("report: %v", err)
	}
	results, err := load.OpenResults(files...)
	if err != nil {
		return Usagef("report: %v", err)
	}
	var sinks []load.Sink
	var timeline *load.Timeline // the HTML report's over-time figures, from the first shard's start
	if f.htmlPath != "" {
		origin := results[0].Meta.Started
		for _, r := range results {
			if r.Meta.Started.Before(origin) {
				origin = r.Meta.Started
			}
		}
		timeline = load.NewTimeline(origin, results[0].Meta.ProfileDuration)
		sinks = append(sinks, timeline)
	}
	res, err := load.Merge(results, sinks...)
	if err != nil {
		return Usagef("report: %v", err)
	}
	checked, passed := load.CheckThresholds(thresholds, &res.Summary)
	run := &reports.LoadRun{Result: res, Thresholds: checked, ExitCode: loadExitCode(&res.Summary, passed)}
	if err := reports.WriteLoadTables(env.Stdout, run); err != nil {
		return err
	}
	if f.jsonPath != "" {
		if err := reports.WriteLoadJSONFile(f.jsonPath, env.Stdout, reports.NewLoadJSON(run, Version)); err != nil {
			return fmt.Errorf("report: %v", err)
		}
	}
	if f.htmlPath != "" {
		if err := reports.WriteLoadHTMLFile(f.htmlPath, env.Stdout, run, timeline, Version); err != nil {
			return fmt.Errorf("report: %v", err)
		}
	}
	sayWritten(env, f.jsonPath, f.htmlPath)
	var breached []string
	for _, r := range checked {
		if !r.Pass {
			breached = append(breached, r.Expr)
		}
	}
	if len(breached) > 0 {
		fmt.Fprintf(env.Stderr, "carpathian-conform: report: threshold breached: %s (see the Thresholds table)\n", strings.Join(breached, ", "))
	}
	if run.ExitCode != ExitOK {
		return &ExitError{Code: run.ExitCode}
	}
	return nil
}

// expandFiles expands glob patterns (for callers without a shell, like a
// pod's args) and requires at least one file.
func expandFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		if !strings.ContainsAny(a, "*?[") {
			files = append(files, a)
			continue
		}
		matches, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %v", a, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("no file matches %q", a)
		}
		files = append(files, matches...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("give the results files to merge, e.g. report results-*of8.bin (written by load --output)")
	}
	return files, nil
}
