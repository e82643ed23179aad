package cmd

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/suites"
)

// loadFlags are the load command's flags.
type loadFlags struct {
	target                         targetFlags
	request                        requestFlags
	cost                           costFlags
	thresholds, aborts             StringList
	rate, rampTo                   load.Rate
	steps, arrivals                string
	duration, grace, tol           time.Duration
	inFlight                       int
	seed                           uint64
	maxWorkers                     uint64
	jsonPath, outputPath, htmlPath string
	sampleEvery                    int
	sharding                       shardFlags
	hist                           string
}

func (f *loadFlags) define(fs *FlagSet) {
	f.rate = 1
	f.target.define(fs, "the target's base `URL`, e.g. https://api.carpathian.ai/ai/v1 (required; 'carpathian-conform serve' runs a local one)",
		"cai_ `KEY` (repeat it to spread calls evenly over several keys)")
	f.request.define(fs)
	f.cost.define(fs, "plan", true)
	fs.Var(&f.rate, "rate", "constant rate `N/WINDOW`, e.g. 5/s or 300/1m (the start of a --ramp-to)")
	fs.Lookup("rate").DefValue = "1/s"
	fs.PositiveDuration(&f.duration, "duration", 10*time.Second, "how long to send")
	fs.Var(&f.rampTo, "ramp-to", "ramp linearly from --rate to this rate `N/WINDOW` over --duration")
	fs.StringVar(&f.steps, "steps", "", "a list of RATE@DURATION, e.g. 5/s@30s,10/s@30s (replaces --rate and --duration)")
	fs.IntVar(&f.inFlight, "in-flight", 0, "closed loop: keep N calls in flight for --duration (replaces --rate)")
	fs.StringVar(&f.arrivals, "arrivals", "uniform", "uniform (evenly spaced) or poisson (exponential gaps, same mean rate)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of Poisson arrivals and prompt sampling")
	fs.PositiveDuration(&f.grace, "grace", load.DefaultGrace, "after Ctrl-C or --abort-on, how long calls in flight may finish")
	fs.PositiveDuration(&f.tol, "tolerance", load.DefaultTolerance, "how far behind its schedule a run may fall (it catches up at 1.08× the rate, never in a burst) before it drops slots, counted as missed")
	fs.Uint64Var(&f.maxWorkers, "max-workers", load.DefaultMaxWorkers, "open loop: most calls in flight; past it slots are missed")
	fs.Var(&f.thresholds, "threshold", "CI gate, repeatable: p99<2s, success>=99.5%, rate>=4.9/s, errors==0, tokens_per_s>=100 (breached: exit 4)")
	fs.Var(&f.aborts, "abort-on", "stop early when this `CONDITION` holds, repeatable: 'error_rate>10% for 10s', 'tokens>50000' (exit 4)")
	fs.OutputVar(&f.jsonPath, "json", "write the summary as JSON (a superset of vegeta's report -type=json) to `FILE`")
	fs.OutputVar(&f.outputPath, "output", "write every result in vegeta's binary format to `FILE` (vegeta report/plot read it)")
	fs.OutputVar(&f.htmlPath, "html", "write a self-contained HTML report to `FILE`: summary, thresholds, latency, status codes, error classes and tokens over time, latency distribution")
	fs.IntVar(&f.sampleEvery, "sample-every", load.DefaultSampleEvery, "check one successful chat reply in N against the CHAT clauses (0: none)")
	f.sharding.define(fs)
	fs.StringVar(&f.hist, "hist", "", "print a latency histogram of every call over these `BUCKETS`, e.g. 0,10ms,50ms,100ms,1s (as vegeta report -type=hist)")
}

// loadCommand drives calls at a controlled rate and reports what happened.
func loadCommand(env Env) command {
	f := &loadFlags{}
	return command{name: "load", summary: "drive chat or models calls at a controlled rate and report latency, throughput and tokens",
		help:   "carpathian-conform load: drive chat (or models) calls at a controlled rate; report latency, throughput, tokens and CI thresholds",
		define: f.define, run: func(fs *FlagSet, _ []string) error { return f.run(env, fs) }}
}

// run makes the load run the flags describe.
func (f *loadFlags) run(env Env, fs *FlagSet) error {
	shard, err := f.sharding.parse()
	if err != nil {
		return Usagef("load: %v", err)
	}
	plan, err := f.plan(fs)
	if err == nil {
		err = shard.apply(plan, f.seed)
	}
	if err != nil {
		return Usagef("load: %v", err)
	}
	shard.rename(&f.jsonPath, &f.outputPath, &f.htmlPath)
	thresholds, err := load.ParseThresholds(f.thresholds)
	if err != nil {
		return Usagef("load: %v", err)
	}
	var aborts []load.AbortCondition
	for _, a := range f.aborts {
		c, err := load.ParseAbort(a)
		if err != nil {
			return Usagef("load: %v", err)
		}
		aborts = append(aborts, c)
	}
	if err := checkWritable(f.jsonPath, f.outputPath, f.htmlPath); err != nil {
		return Usagef("load: %v", err)
	}
	if err := reports.WriteLoadPlan(env.Stdout, plan); err != nil {
		return err
	}
	if err := f.affordable(plan); err != nil {
		return Usagef("load: %v", err)
	}
	var hist *load.LatencyHistogram
	if f.hist != "" {
		buckets, err := load.ParseBuckets(f.hist)
		if err != nil {
			return Usagef("load: --hist: %v", err)
		}
		hist = load.NewBucketHistogram(buckets)
	}
	if err := preflightKeys(env, plan, f.target.timeout); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout)

	opts := []load.Option{load.WithAbort(aborts...), load.WithGrace(f.grace), load.WithPacerOptions(load.WithTolerance(f.tol))}
	if f.sampleEvery > 0 && !plan.IsModels() {
		opts = append(opts, load.WithChecker(suites.ReplyChecker(), f.sampleEvery))
	}
	sinks, err := outputSinks(env.Stdout, f.outputPath)
	if err != nil {
		return Usagef("load: %v", err)
	}
	var timeline *load.Timeline // the HTML report's over-time figures
	if f.htmlPath != "" {
		timeline = load.NewTimeline(time.Now(), plan.Profile.Duration())
		sinks = append(sinks, timeline)
	}
	opts = append(opts, load.WithSinks(sinks...))
	if hist != nil {
		opts = append(opts, load.WithSinks(hist))
	}
	if isTerminal(env.Stderr) {
		opts = append(opts, load.WithProgress(time.Second, func(p load.Progress) {
			fmt.Fprintf(env.Stderr, "\r\033[K%s", reports.LoadProgressLine(p))
		}))
	}

	if err := shard.waitStart(env, plan); err != nil {
		return err
	}
	res, runErr := load.Run(env.Ctx, *plan, opts...)
	if res == nil {
		return Usagef("load: %v", runErr)
	}
	results, passed := load.CheckThresholds(thresholds, &res.Summary)
	run := &reports.LoadRun{Result: res, Thresholds: results, ExitCode: loadExitCode(&res.Summary, passed)}
	if isTerminal(env.Stderr) {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	if err := reports.WriteLoadTables(env.Stdout, run); err != nil {
		return err
	}
	if hist != nil {
		fmt.Fprintln(env.Stdout, "\nLatency histogram (every call, as vegeta report -type=hist):")
		if err := hist.WriteText(env.Stdout); err != nil {
			return err
		}
	}
	if err := shard.writeMeta(env, f.outputPath, res); err != nil && runErr == nil {
		runErr = err
	}
	if f.jsonPath != "" {
		if err := reports.WriteLoadJSONFile(f.jsonPath, env.Stdout, reports.NewLoadJSON(run, Version)); err != nil && runErr == nil {
			runErr = err
		}
	}
	if f.htmlPath != "" {
		if err := reports.WriteLoadHTMLFile(f.htmlPath, env.Stdout, run, timeline, Version); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform: load:", runErr)
		run.ExitCode = max(run.ExitCode, ExitErrors)
	} else {
		sayWritten(env, f.jsonPath, f.outputPath, f.htmlPath)
	}
	var breached []string
	for _, r := range results {
		if !r.Pass {
			breached = append(breached, r.Expr)
		}
	}
	if len(breached) > 0 { // the gate's verdict where CI logs look for it
		fmt.Fprintf(env.Stderr, "carpathian-conform: load: threshold breached: %s (see the Thresholds table)\n", strings.Join(breached, ", "))
	}
	if run.ExitCode != ExitOK {
		return &ExitError{Code: run.ExitCode}
	}
	return nil
}

// preflightKeys makes one models call (it costs no tokens) with each key
// before the run: a target that does not answer, or refuses a key, would
// otherwise fail every call of the run, for its whole duration.
func preflightKeys(env Env, plan *load.Plan, timeout time.Duration) error {
	client := target.NewClient(plan.Root, target.WithConnection(plan.Conn), target.WithTimeout(timeout))
	url := plan.Root.URL(target.PathModels)
	keys := slices.Clone(plan.Keys)
	slices.Sort(keys)
	for _, key := range slices.Compact(keys) {
		ex, err := client.Do(env.Ctx, target.Request{Path: target.PathModels, Key: key})
		switch {
		case err != nil:
			return fmt.Errorf("load: the target did not answer: %v", err)
		case ex.Status == http.StatusUnauthorized:
			return Usagef("load: the --api-key %s was refused (401) by GET %s: check the key", target.Redact(key), url)
		}
	}
	return nil
}

// loadExitCode: 3 when nothing got an HTTP answer (the network or the
// tool failed), 4 when a threshold or an abort condition tripped, 3 when
// interrupted, else 0.
func loadExitCode(s *load.Summary, thresholdsPassed bool) int {
	switch {
	case s.Requests > 0 && s.StatusCodes[0] == s.Requests:
		return ExitErrors
	case !thresholdsPassed || s.Aborted != "":
		return ExitThreshold
	case s.Interrupted:
		return ExitErrors
	}
	return ExitOK
}

// plan turns the flags into a load plan.
func (f *loadFlags) plan(fs *FlagSet) (*load.Plan, error) {
	if strings.TrimSpace(f.target.baseURL) == "" {
		return nil, fmt.Errorf("give --base-url (for a local target run `carpathian-conform serve` and use http://127.0.0.1:8080/ai/v1)")
	}
	root, err := f.target.root()
	if err != nil {
		return nil, err
	}
	profile, err := f.profile(fs)
	if err != nil {
		return nil, err
	}
	f.request.seed = f.seed
	p, err := f.request.plan(fs, root, &f.target, profile, "carpathian-conform")
	if err != nil {
		return nil, err
	}
	p.MaxWorkers, p.Seed = f.maxWorkers, f.seed
	if !f.cost.yes {
		p.MaxCalls = f.cost.maxCalls
		if e := p.Estimate(); e.TokensBounded && e.TokensPerCall > 0 {
			p.MaxCalls = min(p.MaxCalls, f.cost.budget/e.TokensPerCall)
		}
	}
	return p, p.Validate()
}

func (f *loadFlags) profile(fs *FlagSet) (load.Profile, error) {
	conflict := func(a, b string) error { return fmt.Errorf("--%s and --%s do not go together", a, b) }
	var p load.Profile
	var err error
	switch {
	case fs.Given("steps"):
		for _, other := range []string{"rate", "ramp-to", "duration", "in-flight"} {
			if fs.Given(other) {
				return nil, conflict("steps", other)
			}
		}
		steps, err := load.ParseSteps(f.steps)
		if err != nil {
			return nil, err
		}
		p, err = load.Steps(steps...)
		if err != nil {
			return nil, err
		}
	case fs.Given("in-flight"):
		for _, other := range []string{"rate", "ramp-to", "arrivals"} {
			if fs.Given(other) {
				return nil, conflict("in-flight", other)
			}
		}
		return load.Closed(f.inFlight, f.duration)
	case fs.Given("ramp-to"):
		p, err = load.Ramp(f.rate, f.rampTo, f.duration)
	default:
		p, err = load.Constant(f.rate, f.duration)
	}
	if err != nil {
		return nil, err
	}
	switch f.arrivals {
	case "uniform":
		return p, nil
	case "poisson":
		return load.Poisson(p, f.seed)
	}
	return nil, fmt.Errorf("--arrivals %q: use uniform or poisson", f.arrivals)
}

// affordable refuses, unless --yes, a plan beyond --max-calls or
// --max-tokens-budget. A closed loop's count is not known in advance: its
// cap is enforced while it runs.
func (f *loadFlags) affordable(p *load.Plan) error {
	calls, _ := p.Profile.Calls()
	if p.Profile.InFlight() > 0 {
		calls = 0
	}
	e := p.Estimate()
	bounded := p.IsModels() || e.TokensBounded
	return f.cost.affordable("plan", calls, calls*e.TokensPerCall, bounded, "lower the rate or duration")
}

// outputSinks opens the results file: vegeta's binary format.
func outputSinks(stdout io.Writer, outputPath string) ([]load.Sink, error) {
	if outputPath == "" {
		return nil, nil
	}
	s, err := load.FileOutput(outputPath, stdout, load.BinaryOutput)
	if err != nil {
		return nil, err
	}
	return []load.Sink{s}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
