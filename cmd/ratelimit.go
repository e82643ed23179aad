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

// ratelimitCommand measures what the target's rate limiter does.
func ratelimitCommand(env Env) command {
	f := &ratelimitFlags{}
	return command{name: "ratelimit", summary: "measure what the target's rate limiter actually does",
		help:   "carpathian-conform ratelimit: measure what the target's rate limiter actually does (burst, refill, algorithm, Retry-After, headers) against --expect",
		define: f.define, run: func(fs *FlagSet, _ []string) error { return f.run(env, fs) }}
}

// ratelimitFlags are the ratelimit command's flags.
type ratelimitFlags struct {
	target               targetFlags
	cost                 costFlags
	expect               target.Limit
	tolerance            int
	outputPath, jsonPath string
	htmlPath             string
	skipQuiet            bool
	algorithm            fixtures.Algorithm
}

func (f *ratelimitFlags) define(fs *FlagSet) {
	f.target.define(fs, "the target's base `URL` (none: the embedded reference server, limit "+embeddedRatelimit.String()+")",
		"cai_ `KEY`; give a second one to check that limits are per key")
	f.cost.define(fs, "run", false)
	f.expect = target.DefaultLimit
	fs.Var(&f.expect, "expect", "the limit you expect, `N/WINDOW` (its window drives the timing); a measured limit beyond --limit-tolerance exits 1")
	fs.Lookup("expect").DefValue = f.expect.String()
	fs.IntVar(&f.tolerance, "limit-tolerance", 1, "how many calls the measured limit may differ from --expect's N (in-flight timing)")
	fs.OutputVar(&f.outputPath, "output", "write every call in vegeta's binary format to `FILE` (vegeta report reads it)")
	fs.OutputVar(&f.jsonPath, "json", "write the findings, every call included, as JSON to `FILE`")
	fs.OutputVar(&f.htmlPath, "html", "write a self-contained HTML report to `FILE`: the verdict, served and refused calls against the limit, the findings")
	fs.BoolVar(&f.skipQuiet, "skip-quiet", false, "skip the quiet window before the burst (the key is known to have been idle for one)")
	f.algorithm = fixtures.FixedWindow
	fs.Var(&algorithmFlag{&f.algorithm}, "algorithm", "embedded server only: its limiter's `ALGORITHM` (fixed-window, sliding-window, token-bucket)")
}

// run analyses the limiter the flags name.
func (f *ratelimitFlags) run(env Env, fs *FlagSet) error {
	embedded, err := f.target.embedded()
	switch {
	case err != nil:
		return Usagef("ratelimit: %v", err)
	case f.tolerance < 0:
		return Usagef("ratelimit: --limit-tolerance %d: give a number of calls, 0 or more", f.tolerance)
	case len(f.target.keys) > 2:
		return Usagef("ratelimit: %d --api-key given: give one, or two to check that limits are per key", len(f.target.keys))
	case !embedded && fs.Given("algorithm"):
		return Usagef("ratelimit: --algorithm sets the embedded server's limiter; the target's is what this measures (drop it, or drop --base-url)")
	}
	if err := checkWritable(f.outputPath, f.jsonPath, f.htmlPath); err != nil {
		return Usagef("ratelimit: %v", err)
	}

	var root target.Root
	keys := f.target.keys
	if embedded {
		if !fs.Given("expect") {
			f.expect = embeddedRatelimit
		}
		srv, err := fixtures.Start(fixtures.WithRateLimit(f.expect), fixtures.WithAlgorithm(f.algorithm))
		if err != nil {
			return fmt.Errorf("cannot start the embedded reference server: %v", err)
		}
		defer srv.Close()
		root, keys = srv.Root(), StringList{srv.Keys().Valid, srv.Keys().Second}
		f.skipQuiet = true // a fresh server: nothing to wait out
		announceEmbedded(env, "analysing", root, fmt.Sprintf("limit %s, %s", f.expect, f.algorithm))
	} else if root, err = f.target.root(); err != nil {
		return Usagef("ratelimit: %v", err)
	}

	cfg := ratelimit.Config{Expect: f.expect, Tolerance: f.tolerance, Keys: len(keys), SkipQuiet: f.skipQuiet}
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
		root.Base(target.ShapeV1), strings.Join(redacted, " and "), perKey, f.expect, f.tolerance, plan)
	if err := f.cost.affordable("analysis", int64(plan.MaxCalls), 0, true, "lower --expect's N"); err != nil {
		return Usagef("ratelimit: %v", err)
	}

	start := time.Now()
	cfg.Progress = func(s string) {
		fmt.Fprintf(env.Stderr, "[%6s] %s\n", time.Since(start).Round(100*time.Millisecond), s)
	}
	conn, err := f.target.conn.connection()
	if err != nil {
		return Usagef("ratelimit: %v", err)
	}
	client := target.NewClient(root, target.WithConnection(conn), target.WithTimeout(f.target.timeout))
	found := ratelimit.Run(env.Ctx, ratelimit.NewTargetCaller(client, keys, nil), cfg)
	found.Target, found.Embedded = root.String(), embedded
	fmt.Fprintln(env.Stdout)
	if err := reports.WriteRatelimit(env.Stdout, found); err != nil {
		return err
	}
	var writeErr error
	if f.outputPath != "" {
		writeErr = writeResults(f.outputPath, env.Stdout, found.Calls)
	}
	if f.jsonPath != "" {
		if err := reports.WriteRatelimitJSONFile(f.jsonPath, env.Stdout, found); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if f.htmlPath != "" {
		if err := reports.WriteRatelimitHTMLFile(f.htmlPath, env.Stdout, found, Version); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform: ratelimit:", writeErr)
	} else {
		sayWritten(env, f.outputPath, f.jsonPath, f.htmlPath)
	}
	switch {
	case found.Verdict == ratelimit.VerdictFail:
		return &ExitError{Code: ExitViolation}
	case found.Verdict != ratelimit.VerdictPass || found.Interrupted || writeErr != nil:
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
