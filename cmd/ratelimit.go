package cmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/load/ratelimit"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// embeddedRatelimit is the embedded server's limit: short, so a demo run
// takes seconds.
var embeddedRatelimit = target.Limit{N: 20, Window: 4 * time.Second}

// runRatelimit measures what the target's rate limiter does.
func runRatelimit(env Env, args []string) error {
	fs := NewFlagSet("ratelimit", "carpathian-conform ratelimit: measure what the target's rate limiter actually does (burst, refill, algorithm, Retry-After, headers) against --expect")
	var tf targetFlags
	tf.define(fs, "the target's base URL (none: the embedded reference server, limit "+embeddedRatelimit.String()+")",
		"cai_ key; give a second one to check that limits are per key")
	var cost costFlags
	cost.define(fs, "run", false)
	expect := target.DefaultLimit
	fs.Var(&expect, "expect", "the limit you expect, `N/W` (its window W drives the timing); a measured limit beyond --limit-tolerance exits 1")
	fs.Lookup("expect").DefValue = expect.String()
	tolerance := fs.Int("limit-tolerance", 1, "how many calls the measured limit may differ from --expect's N (in-flight timing)")
	outputPath := fs.String("output", "", "write every call in vegeta's binary format to FILE (vegeta report reads it)")
	jsonPath := fs.String("json", "", "write the findings, every call included, as JSON to FILE")
	skipQuiet := fs.Bool("skip-quiet", false, "skip the quiet window before the burst (the key is known to have been idle for one)")
	algorithm := fixtures.FixedWindow
	fs.Var(&algorithmFlag{&algorithm}, "algorithm", "embedded server only: its limiter's `algorithm` (fixed-window, sliding-window, token-bucket)")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	embedded, err := tf.embedded()
	switch {
	case err != nil:
		return Usagef("ratelimit: %v", err)
	case *tolerance < 0:
		return Usagef("ratelimit: --limit-tolerance %d: give a number of calls, 0 or more", *tolerance)
	case len(tf.keys) > 2:
		return Usagef("ratelimit: %d --api-key given: give one, or two to check that limits are per key", len(tf.keys))
	case !embedded && fs.Given("algorithm"):
		return Usagef("ratelimit: --algorithm sets the embedded server's limiter; the target's is what this measures (drop it, or drop --base-url)")
	}
	if err := checkWritable(*outputPath, *jsonPath); err != nil {
		return Usagef("ratelimit: %v", err)
	}

	var root target.Root
	keys := tf.keys
	if embedded {
		if !fs.Given("expect") {
			expect = embeddedRatelimit
		}
		srv, err := fixtures.Start(fixtures.WithRateLimit(expect), fixtures.WithAlgorithm(algorithm))
		if err != nil {
			return fmt.Errorf("cannot start the embedded reference server: %v", err)
		}
		defer srv.Close()
		root, keys = srv.Root(), StringList{srv.Keys().Valid, srv.Keys().Second}
		*skipQuiet = true // a fresh server: nothing to wait out
		announceEmbedded(env, "analysing", root, fmt.Sprintf("limit %s, %s", expect, algorithm))
	} else if root, err = tf.root(); err != nil {
		return Usagef("ratelimit: %v", err)
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
	sayf(env.Stdout, "Rate-limit analysis of %s, key %s%s, expecting %s ±%d: %s.",
		root.Base(target.ShapeV1), strings.Join(redacted, " and "), perKey, expect, *tolerance, plan)
	if err := cost.affordable("analysis", int64(plan.MaxCalls), 0, true, "lower --expect's N"); err != nil {
		return Usagef("ratelimit: %v", err)
	}

	start := time.Now()
	cfg.Progress = func(s string) {
		fmt.Fprintf(env.Stderr, "[%6s] %s\n", time.Since(start).Round(100*time.Millisecond), s)
	}
	client := target.NewClient(root, target.WithTimeout(tf.timeout))
	f := ratelimit.Run(env.Ctx, ratelimit.NewTargetCaller(client, keys, nil), cfg)
	f.Target, f.Embedded = root.String(), embedded
	fmt.Fprintln(env.Stdout)
	if err := reports.WriteRatelimit(env.Stdout, f); err != nil {
		return err
	}
	var writeErr error
	if *outputPath != "" {
		writeErr = writeResults(*outputPath, env.Stdout, f.Calls)
	}
	if *jsonPath != "" {
		if err := reports.WriteRatelimitJSONFile(*jsonPath, env.Stdout, f); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform: ratelimit:", writeErr)
	} else {
		sayWritten(env, *outputPath, *jsonPath)
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
func writeResults(path string, stdout io.Writer, calls []ratelimit.Call) error {
	sink, err := load.FileOutput(path, stdout, load.BinaryOutput)
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
