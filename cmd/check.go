package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/suites"
)

// checkCommand is `check`, the default command: the conformance suite.
func checkCommand(env Env) command {
	f := &checkFlags{}
	return command{name: "check", summary: "run the conformance suite (the default when no subcommand is given)",
		help:   "carpathian-conform [check]: check a Carpathian AI API deployment against its contract, clause by clause",
		define: f.define, run: func(fs *FlagSet) error { return f.run(env, fs) }}
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
	timeout                   time.Duration
	maxCalls                  int
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
	fs.PositiveDuration(&f.timeout, "timeout", target.DefaultTimeout, "per-call timeout")
	fs.IntVar(&f.maxCalls, "max-calls", 0, "refuse to run if the specs may need more calls than this (0: no cap)")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "show Ginkgo's spec-by-spec output")
}

// run checks the target the flags name.
func (f *checkFlags) run(env Env, fs *FlagSet) error {
	if err := checkWritable(f.jsonPath, f.junit, f.markdown); err != nil {
		return Usagef("check: %v", err)
	}

	cfg := suites.Config{Keys: f.keys, Limit: f.limit, Strict: f.strict, Timeout: f.timeout, MaxCalls: f.maxCalls,
		LabelFilter: f.labelFilter, Focus: f.focus, Verbose: f.verbose, Out: env.Stdout, ToolVersion: Version}
	if isTerminal(env.Stderr) {
		cfg.Status = env.Stderr
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
	switch {
	case errors.Is(err, suites.ErrConfig):
		return Usagef("check: %v", err)
	case errors.Is(err, suites.ErrUnreachable) && conf != nil:
		// No table of identical ERROR rows: one line, and the files for CI.
		fmt.Fprintln(env.Stderr, "carpathian-conform:", err)
		if err := reports.WriteFiles(conf, env.Stdout, f.jsonPath, f.junit, f.markdown); err != nil {
			fmt.Fprintln(env.Stderr, "carpathian-conform:", err)
		}
		return &ExitError{Code: ExitErrors}
	case err != nil:
		return err
	}
	fmt.Fprintln(env.Stdout)
	if err := reports.WriteTable(env.Stdout, conf); err != nil {
		return err
	}
	if err := reports.WriteFiles(conf, env.Stdout, f.jsonPath, f.junit, f.markdown); err != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform:", err)
		return &ExitError{Code: ExitErrors}
	}
	if conf.ExitCode != ExitOK {
		return &ExitError{Code: conf.ExitCode}
	}
	return nil
}

// roundWait shows a wait to the second, or the minute beyond ten minutes.
func roundWait(d time.Duration) time.Duration {
	if d > 10*time.Minute {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}
