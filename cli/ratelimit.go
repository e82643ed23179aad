package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/load/ratelimit"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/target"
)

// embeddedRatelimit is the embedded server's limit: short, so a demo run
// takes seconds.
var embeddedRatelimit = target.Limit{N: 20, Window: 4 * time.Second}

// runRatelimit measures what the target's rate limiter does.
func runRatelimit(env Env, args []string) error {
	fs := NewFlagSet("ratelimit", "carpathian-conform ratelimit: measure what the target's rate limiter actually does (burst, refill, algorithm, Retry-After, headers) against --expect")
	baseURL := fs.String("base-url", "", "the target's base URL (none: the embedded reference server, limit "+embeddedRatelimit.String()+")")
	var keys StringList
	fs.Var(&keys, "api-key", "cai_ key; give a second one to check that limits are per key")
	expect := target.DefaultLimit
	fs.Var(&expect, "expect", "the limit you expect, `N/W` (its window W drives the timing); a measured limit beyond --tolerance exits 1")
	fs.Lookup("expect").DefValue = expect.String()
	tolerance := fs.Int("tolerance", 1, "how many calls the measured limit may differ from --expect's N (in-flight timing)")
	maxCalls := fs.Int("max-calls", 10000, "refuse a plan of more calls unless --yes")
	yes := fs.Bool("yes", false, "run a plan beyond --max-calls")
	timeout := time.Duration(0)
	fs.PositiveDuration(&timeout, "timeout", target.DefaultTimeout, "timeout of each call")
	outputPath := fs.String("output", "", "write every call in vegeta's binary format to FILE (vegeta report reads it)")
	jsonPath := fs.String("json", "", "write the findings, every call included, as JSON to FILE")
	skipQuiet := fs.Bool("skip-quiet", false, "skip the quiet window before the burst (the key is known to have been idle for one)")
	algorithm := fixtures.FixedWindow
	fs.Var(&algorithmFlag{&algorithm}, "algorithm", "embedded server only: its limiter's `algorithm` (fixed-window, sliding-window, token-bucket)")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if _, ok := os.LookupEnv(EnvName("expect")); ok {
		set["expect"] = true
	}
	switch {
	case *tolerance < 0:
		return Usagef("ratelimit: --tolerance %d: give a number of calls, 0 or more", *tolerance)
	case len(keys) > 2:
		return Usagef("ratelimit: %d --api-key given: give one, or two to check that limits are per key", len(keys))
	case *baseURL != "" && len(keys) == 0:
		return Usagef("ratelimit: --api-key is required with --base-url (or set %s)", EnvName("api-key"))
	case *baseURL == "" && len(keys) > 0:
		return Usagef("ratelimit: --api-key without --base-url: the embedded server has its own keys; give --base-url too")
	case *baseURL != "" && set["algorithm"]:
		return Usagef("ratelimit: --algorithm sets the embedded server's limiter; the target's is what this measures (drop it, or drop --base-url)")
	}
	for _, p := range []string{*outputPath, *jsonPath} {
		if err := reports.CheckWritable(p); err != nil {
			return Usagef("ratelimit: %v", err)
		}
	}

	var root target.Root
	embedded := *baseURL == ""
	if embedded {
		if !set["expect"] {
			expect = embeddedRatelimit
		}
		srv, err := fixtures.Start(fixtures.WithRateLimit(expect), fixtures.WithAlgorithm(algorithm))
		if err != nil {
			return fmt.Errorf("cannot start the embedded reference server: %v", err)
		}
		defer srv.Close()
		root, keys = srv.Root(), StringList{srv.Keys().Valid, srv.Keys().Second}
		*skipQuiet = true // a fresh server: nothing to wait out
		fmt.Fprintf(env.Stdout, "No --base-url: analysing the embedded reference server at %s with its fixture keys (limit %s, %s).\n",
			root.Base(target.ShapeV1), expect, algorithm)
	} else {
		r, err := target.ParseBaseURL(*baseURL)
		if err != nil {
			return Usagef("ratelimit: --base-url: %v", err)
		}
		root = r
	}

	cfg := ratelimit.Config{Expect: expect, Tolerance: *tolerance, Keys: len(keys), SkipQuiet: *skipQuiet}
	plan := ratelimit.NewPlan(cfg)
	redacted := make([]string, len(keys))
	for i, k := range keys {
		redacted[i] = target.Redact(k)
	}
	perKey := ""
	if len(keys) > 1 {
		perKey = " (the second for the per-key probe)"
	}
	fmt.Fprintf(env.Stdout, "Rate-limit analysis of %s, key %s%s, expecting %s ±%d: %s.\n",
		root.Base(target.ShapeV1), strings.Join(redacted, " and "), perKey, expect, *tolerance, plan)
	if plan.MaxCalls > *maxCalls && !*yes {
		return Usagef("ratelimit: the analysis may make %d calls, more than --max-calls %d: raise --max-calls or pass --yes", plan.MaxCalls, *maxCalls)
	}

	start := time.Now()
	cfg.Progress = func(s string) {
		fmt.Fprintf(env.Stderr, "[%6s] %s\n", time.Since(start).Round(100*time.Millisecond), s)
	}
	client := target.NewClient(root, target.WithTimeout(timeout))
	f := ratelimit.Run(env.Ctx, ratelimit.NewTargetCaller(client, keys, nil), cfg)
	f.Target, f.Embedded = root.String(), embedded
	fmt.Fprintln(env.Stdout)
	if err := reports.WriteRatelimit(env.Stdout, f); err != nil {
		return err
	}
	var writeErr error
	if *outputPath != "" {
		writeErr = writeResults(*outputPath, f.Calls)
	}
	if *jsonPath != "" {
		if err := reports.WriteRatelimitJSONFile(*jsonPath, f); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform: ratelimit:", writeErr)
	}
	switch {
	case f.Verdict == ratelimit.VerdictFail:
		return &ExitError{Code: ExitViolation}
	case f.Verdict != ratelimit.VerdictPass || f.Interrupted || writeErr != nil:
		return &ExitError{Code: ExitErrors}
	}
	return nil
}

// writeResults saves the calls like load --output, with load's writer.
func writeResults(path string, calls []ratelimit.Call) error {
	sink, err := load.FileOutput(path, load.BinaryOutput)
	if err != nil {
		return err
	}
	for _, c := range calls {
		r := c.Result()
		if err := sink.Add(&load.Hit{Result: &r}); err != nil {
			sink.Close()
			return err
		}
	}
	return sink.Close()
}
