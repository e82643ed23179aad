//go:build !loadonly

package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/carpathian-ai/carpathian-conform/internal/compare"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/suites"
)

// checkCommand is `check`, the default command: the conformance suite.
func checkCommand(env Env) command {
	f := &checkFlags{}
	return command{name: "check", summary: "run the conformance suite (the default when no subcommand is given)",
		help:   "carpathian-conform [check]: check a Carpathian AI API deployment against its contract, clause by clause",
		define: f.define, run: func(fs *FlagSet, _ []string) error { return f.run(env, fs) }}
}

// checkFlags are the check command's flags.
type checkFlags struct {
	baseURL                   string
	keys                      suites.Keys
	limit                     target.Limit
	strict, list, verbose     bool
	labelFilter               string
	focus                     Patterns
	junit, jsonPath, markdown string
	html                      string
	timeout                   time.Duration
	maxCalls                  int
	conn                      connectionFlags
	waivers, rerunFailed      string
	failFast, noStepSummary   bool
}

func (f *checkFlags) define(fs *FlagSet) {
	fs.StringVar(&f.baseURL, "base-url", "", "the target's base `URL`: {root}, {root}/v1 or {root}/v1/chat/completions (none: the embedded reference server)")
	fs.StringVar(&f.keys.API, "api-key", "", "a valid cai_ `KEY` of the target")
	fs.StringVar(&f.keys.Revoked, "revoked-key", "", "a revoked `KEY` (AUTH-3; skipped without it)")
	fs.StringVar(&f.keys.Exhausted, "exhausted-key", "", "an out-of-tokens `KEY` (BILL-1, MODELS-4; skipped without it)")
	fs.StringVar(&f.keys.Forbidden, "forbidden-key", "", "a `KEY` whose IP allowlist excludes this machine (ACCESS-1; skipped without it)")
	fs.StringVar(&f.keys.Locked, "locked-key", "", "a `KEY` of a locked instance (ACCESS-2; skipped without it)")
	f.limit = target.DefaultLimit
	fs.Var(&f.limit, "rate-limit", "the key's rate limit `N/WINDOW` (embedded server: "+suites.EmbeddedLimit.String()+")")
	fs.BoolVar(&f.strict, "strict", false, "a broken SHOULD fails the run")
	fs.StringVar(&f.labelFilter, "label-filter", "", "run only the specs matching this Ginkgo label `FILTER`, e.g. 'area:route || level:must'")
	fs.Var(&f.focus, "focus", "run only the specs whose text matches this `REGEXP` (repeatable)")
	fs.BoolVar(&f.list, "list", false, "list clauses and specs with their cost, then exit: no request is sent")
	fs.OutputVar(&f.junit, "junit", "write a JUnit XML report to `FILE`")
	fs.OutputVar(&f.jsonPath, "json", "write the JSON report to `FILE`")
	fs.OutputVar(&f.markdown, "markdown", "write a Markdown report to `FILE`")
	fs.OutputVar(&f.html, "html", "write a self-contained HTML report to `FILE`: every clause, collapsible, with its verdict, evidence and curl")
	fs.PositiveDuration(&f.timeout, "timeout", target.DefaultTimeout, "per-call timeout")
	fs.IntVar(&f.maxCalls, "max-calls", 0, "refuse to run if the specs may need more calls than this (0: no cap)")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "show Ginkgo's spec-by-spec output")
	f.conn.define(fs)
	fs.StringVar(&f.waivers, "waivers", "", "accept known failures for a while: a YAML `FILE` of waivers (clause or spec, reason, owner, expires); a waived failure shows as WAIVED and does not fail the run")
	fs.StringVar(&f.rerunFailed, "rerun-failed", "", "run only what failed or errored in this JSON `REPORT` of check (and the specs those need)")
	fs.BoolVar(&f.failFast, "fail-fast", false, "stop at the first spec that fails the run; the rest are skipped")
	defineStepSummary(fs, &f.noStepSummary)
}

// run checks the target the flags name.
func (f *checkFlags) run(env Env, fs *FlagSet) error {
	stdout := env.Stdout // where a report path of "-" goes
	if anyStdout(f.jsonPath, f.junit, f.markdown, f.html) {
		env.Stdout = env.Stderr // the human report steps aside: the file pipes clean
	}
	if err := checkWritable(f.jsonPath, f.junit, f.markdown, f.html); err != nil {
		return Usagef("check: %v", err)
	}
	var waivers []results.Waiver
	if f.waivers != "" {
		var err error
		if waivers, err = results.LoadWaivers(f.waivers); err != nil {
			return Usagef("check: %v", err)
		}
	}
	var failed []results.SpecRef
	if f.rerunFailed != "" {
		if f.labelFilter != "" || len(f.focus) > 0 {
			return Usagef("check: --rerun-failed selects the specs itself: drop --label-filter and --focus")
		}
		var err error
		if failed, err = failedIn(f.rerunFailed); err != nil {
			return Usagef("check: %v", err)
		}
		if len(failed) == 0 {
			sayf(env.Stdout, "Nothing to rerun: %s has no failed or errored spec.", f.rerunFailed)
			return nil
		}
	}

	conn, err := f.conn.connection()
	if err != nil {
		return Usagef("check: %v", err)
	}
	cfg := suites.Config{Conn: conn, Keys: f.keys, Limit: f.limit, Strict: f.strict, Timeout: f.timeout, MaxCalls: f.maxCalls,
		LabelFilter: f.labelFilter, Focus: f.focus, Verbose: f.verbose, Out: env.Stdout, ToolVersion: Version, FailFast: f.failFast}
	if isTerminal(env.Stderr) {
		cfg.Status = env.Stderr
	} else {
		cfg.Progress = env.Stderr // a CI log: a line every 10 s
	}
	if f.baseURL == "" {
		var keyErr error
		fs.VisitAll(func(fl *pflag.Flag) {
			if isKeyFlag(fl.Name) && fl.Value.String() != "" && keyErr == nil {
				keyErr = keyWithoutBaseURL(fl.Name)
			}
		})
		if keyErr != nil {
			return Usagef("check: %v", keyErr)
		}
		embeddedLimit := target.Limit{}
		if fs.Given("rate-limit") {
			embeddedLimit = f.limit
		}
		stop, err := suites.StartEmbedded(&cfg, embeddedLimit)
		if err != nil {
			return fmt.Errorf("cannot start the embedded reference server: %v", err)
		}
		defer stop()
		announceEmbedded(env, "checking", cfg.Root, "limit "+cfg.Limit.String())
	} else {
		root, err := target.ParseBaseURL(f.baseURL)
		if err != nil {
			return Usagef("check: --base-url: %v", err)
		}
		cfg.Root = root
	}

	if failed != nil {
		if err := selectRerun(env, &cfg, f.rerunFailed, failed); err != nil {
			return err
		}
	}
	plan, err := suites.Prepare(cfg)
	if errors.Is(err, suites.ErrConfig) {
		return Usagef("check: %v", err)
	} else if err != nil {
		return err
	}
	if f.list {
		return suites.WritePlan(env.Stdout, plan)
	}
	sayf(env.Stdout, "Target %s, key %s, limit %s: %d specs; this run will make at most %d calls (about %d tokens), "+
		"paced under the limit, and may wait up to about %s on the limit (plus the target's answer times).",
		cfg.Root, target.Redact(cfg.Keys.API), cfg.Limit, plan.Selected(), plan.MaxCalls, plan.Tokens, roundWait(plan.MaxWait))

	conf, err := suites.Run(env.Ctx, cfg, plan)
	if conf != nil && waivers != nil {
		results.ApplyWaivers(conf, waivers, time.Now())
	}
	switch {
	case errors.Is(err, suites.ErrConfig):
		return Usagef("check: %v", err)
	case errors.Is(err, suites.ErrUnreachable) && conf != nil:
		// No table of identical ERROR rows: one line, and the files for CI.
		fmt.Fprintln(env.Stderr, "carpathian-conform:", err)
		if err := reports.WriteFiles(conf, stdout, f.jsonPath, f.junit, f.markdown, f.html); err != nil {
			fmt.Fprintln(env.Stderr, "carpathian-conform:", err)
		}
		appendStepSummary(env, f.noStepSummary, func(w io.Writer) error { return reports.WriteMarkdown(w, conf) })
		return &ExitError{Code: ExitErrors}
	case err != nil:
		return err
	}
	fmt.Fprintln(env.Stdout)
	if err := reports.WriteTable(env.Stdout, conf); err != nil {
		return err
	}
	appendStepSummary(env, f.noStepSummary, func(w io.Writer) error { return reports.WriteMarkdown(w, conf) })
	if err := reports.WriteFiles(conf, stdout, f.jsonPath, f.junit, f.markdown, f.html); err != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform:", err)
		return &ExitError{Code: ExitErrors}
	}
	if conf.ExitCode != ExitOK {
		return &ExitError{Code: conf.ExitCode}
	}
	return nil
}

// failedIn is what failed or errored in a JSON report of check.
func failedIn(path string) ([]results.SpecRef, error) {
	r, err := compare.Read(path)
	if err != nil {
		return nil, fmt.Errorf("--rerun-failed %v", err)
	}
	if r.Kind != compare.KindConformance {
		return nil, fmt.Errorf("--rerun-failed %s: a %s report; give the JSON report of a check run", path, r.Kind)
	}
	return results.FailedSpecs(r.Conformance), nil
}

// selectRerun focuses the run on the failed specs and those they need,
// saying which ones the suite no longer has.
func selectRerun(env Env, cfg *suites.Config, report string, failed []results.SpecRef) error {
	names := make([]string, len(failed))
	for i, s := range failed {
		names[i] = s.Name
	}
	selected, missing, err := suites.Rerun(*cfg, names)
	if errors.Is(err, suites.ErrConfig) {
		return Usagef("check: %v", err)
	} else if err != nil {
		return err
	}
	if len(missing) > 0 {
		sayf(env.Stderr, "carpathian-conform: %d failed spec(s) of %s are no longer in the suite and are not rerun: %s",
			len(missing), report, strings.Join(missing, "; "))
	}
	if len(selected) == 0 {
		return Usagef("check: --rerun-failed %s: none of its failed specs is in the suite any more", report)
	}
	sayf(env.Stdout, "Rerunning %d spec(s) that failed or errored in %s (with %d they need).", len(failed)-len(missing), report, len(selected)-(len(failed)-len(missing)))
	cfg.Focus = suites.FocusOn(selected)
	return nil
}

// roundWait shows a wait to the second, or the minute beyond ten minutes.
func roundWait(d time.Duration) time.Duration {
	if d > 10*time.Minute {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}
