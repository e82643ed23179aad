package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/suites"
)

// runConform is `check`, the default command: the conformance suite.
func runConform(env Env, args []string) error {
	fs := NewFlagSet("check", "carpathian-conform [check]: check a Carpathian AI API deployment against its contract, clause by clause")
	baseURL := fs.String("base-url", "", "the target's base URL: {root}, {root}/v1 or {root}/v1/chat/completions (none: the embedded reference server)")
	var keys suites.Keys
	fs.StringVar(&keys.API, "api-key", "", "a valid cai_ key of the target")
	fs.StringVar(&keys.Revoked, "revoked-key", "", "a revoked key (AUTH-3; skipped without it)")
	fs.StringVar(&keys.Exhausted, "exhausted-key", "", "an out-of-tokens key (BILL-1, MODELS-4; skipped without it)")
	fs.StringVar(&keys.Forbidden, "forbidden-key", "", "a key whose IP allowlist excludes this machine (ACCESS-1; skipped without it)")
	fs.StringVar(&keys.Locked, "locked-key", "", "a key of a locked instance (ACCESS-2; skipped without it)")
	limit := target.DefaultLimit
	fs.Var(&limit, "rate-limit", "the key's rate limit N/WINDOW (embedded server: "+suites.EmbeddedLimit.String()+")")
	strict := fs.Bool("strict", false, "a broken SHOULD fails the run")
	labelFilter := fs.String("label-filter", "", "run only the specs matching this Ginkgo label filter, e.g. 'area:route || level:must'")
	var focus Patterns
	fs.Var(&focus, "focus", "run only the specs whose text matches this regexp (repeatable)")
	list := fs.Bool("list", false, "list clauses and specs with their cost, then exit: no request is sent")
	junit := fs.String("junit", "", "write a JUnit XML report to FILE")
	jsonPath := fs.String("json", "", "write the JSON report to FILE")
	markdown := fs.String("markdown", "", "write a Markdown report to FILE")
	var timeout time.Duration
	fs.PositiveDuration(&timeout, "timeout", target.DefaultTimeout, "per-call timeout")
	maxCalls := fs.Int("max-calls", 0, "refuse to run if the specs may need more calls than this (0: no cap)")
	verbose := fs.Bool("v", false, "show Ginkgo's spec-by-spec output")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if err := checkWritable(*jsonPath, *junit, *markdown); err != nil {
		return Usagef("check: %v", err)
	}

	cfg := suites.Config{Keys: keys, Limit: limit, Strict: *strict, Timeout: timeout, MaxCalls: *maxCalls,
		LabelFilter: *labelFilter, Focus: focus, Verbose: *verbose, Out: env.Stdout, ToolVersion: Version}
	if isTerminal(env.Stderr) {
		cfg.Status = env.Stderr
	}
	if *baseURL == "" {
		embeddedLimit := target.Limit{}
		if fs.Given("rate-limit") {
			embeddedLimit = limit
		}
		stop, err := suites.StartEmbedded(&cfg, embeddedLimit)
		if err != nil {
			return fmt.Errorf("cannot start the embedded reference server: %v", err)
		}
		defer stop()
		announceEmbedded(env, "checking", cfg.Root, "limit "+cfg.Limit.String())
	} else {
		root, err := target.ParseBaseURL(*baseURL)
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
	if *list {
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
		if err := reports.WriteFiles(conf, env.Stdout, *jsonPath, *junit, *markdown); err != nil {
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
	if err := reports.WriteFiles(conf, env.Stdout, *jsonPath, *junit, *markdown); err != nil {
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
