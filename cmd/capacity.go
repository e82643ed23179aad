package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/load/capacity"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// The embedded server of a capacity demo: a concurrency cap and a fixed
// service time, so its capacity is known (8 / 100 ms = 80 calls/s), and
// shorter steps so the demo takes about half a minute, starting at a rate
// whose first step measures enough calls (capacity.MinMeasuredCalls).
const (
	embeddedCapacitySlots           = 8
	embeddedCapacityCall            = 100 * time.Millisecond
	embeddedCapacityStep            = 2 * time.Second
	embeddedCapacityStart load.Rate = 4
)

// capacityFlags are the capacity command's flags.
type capacityFlags struct {
	target               targetFlags
	request              requestFlags
	cost                 costFlags
	jsonPath, outputPath string
	htmlPath             string
	slo                  string
	start, max           load.Rate
	step                 time.Duration
	warmup               capacity.Warmup
	precision            capacity.Precision
}

func (f *capacityFlags) define(fs *FlagSet) {
	f.start, f.max, f.warmup = capacity.DefaultStart, capacity.DefaultMax, capacity.DefaultWarmup
	f.precision = capacity.Precision(capacity.DefaultPrecision)
	f.target.define(fs, "the target's base `URL`, e.g. https://api.carpathian.ai/ai/v1 (none: an embedded reference server of known capacity)",
		"cai_ `KEY` (repeat it to spread calls evenly over several keys: their limits must exceed the rates tried)")
	f.request.define(fs)
	f.cost.define(fs, "search", true)
	fs.StringVar(&f.slo, "slo", "", "the SLO every step must meet, load thresholds separated by commas, e.g. 'p95<3s,success>=99%' (required)")
	fs.Var(&f.start, "start-rate", fmt.Sprintf("the first rate tried, `N/WINDOW` (%s against the embedded server)", embeddedCapacityStart))
	fs.Lookup("start-rate").DefValue = f.start.String()
	fs.Var(&f.max, "max-rate", "the highest rate tried, `N/WINDOW`")
	fs.Lookup("max-rate").DefValue = f.max.String()
	fs.PositiveDuration(&f.step, "step-duration", capacity.DefaultStepDuration,
		fmt.Sprintf("how long each rate is held, warm-up included (%s against the embedded server); its measured part must hold at least %d calls at --start-rate",
			embeddedCapacityStep, capacity.MinMeasuredCalls))
	fs.Var(&f.warmup, "warmup", "the first part of each step left out of its figures: a share (20%) or a duration (2s)")
	fs.Lookup("warmup").DefValue = f.warmup.String()
	fs.Var(&f.precision, "precision", "bisect until the first rate that missed is within this percentage above the last that met")
	fs.Lookup("precision").DefValue = f.precision.String()
	fs.OutputVar(&f.jsonPath, "json", "write the steps and the answer as JSON to `FILE`")
	fs.OutputVar(&f.outputPath, "output", "write every call of every step in vegeta's binary format to `FILE` (vegeta report/plot read it)")
	fs.OutputVar(&f.htmlPath, "html", "write a self-contained HTML report to `FILE`: the answer, offered against served rate and latency by step, the knee")
}

// capacityCommand finds the highest rate that meets an SLO.
func capacityCommand(env Env) command {
	f := &capacityFlags{}
	return command{name: "capacity", summary: "find the highest request rate that meets an SLO",
		help:   "carpathian-conform capacity: find the highest request rate that meets an SLO (double from --start-rate until a step misses, then bisect to --precision)",
		define: f.define, run: func(fs *FlagSet, _ []string) error { return f.run(env, fs) }}
}

// run searches for the capacity the flags describe.
func (f *capacityFlags) run(env Env, fs *FlagSet) error {
	if strings.TrimSpace(f.slo) == "" {
		return Usagef("capacity: give --slo, the SLO each rate must meet, e.g. --slo 'p95<3s,success>=99%%'")
	}
	slo, err := capacity.ParseSLO(f.slo)
	if err != nil {
		return Usagef("capacity: --slo: %v", err)
	}
	embedded, err := f.target.embedded()
	if err != nil {
		return Usagef("capacity: %v", err)
	}
	if err := checkWritable(f.jsonPath, f.outputPath, f.htmlPath); err != nil {
		return Usagef("capacity: %v", err)
	}

	var root target.Root
	if embedded {
		if !fs.Given("step-duration") {
			f.step = embeddedCapacityStep
		}
		if !fs.Given("start-rate") {
			f.start = embeddedCapacityStart
		}
		srv, err := fixtures.Start(fixtures.WithRateLimit(target.Limit{}), fixtures.WithConcurrency(embeddedCapacitySlots),
			fixtures.WithLatency(fixtures.Latency{Base: embeddedCapacityCall}))
		if err != nil {
			return fmt.Errorf("cannot start the embedded reference server: %v", err)
		}
		defer srv.Close()
		root, f.target.keys = srv.Root(), StringList{srv.Keys().Valid}
		announceEmbedded(env, "searching", root, fmt.Sprintf("%d calls in service at once, %s each, so about %.0f calls/s by design; steps of %s from %s",
			embeddedCapacitySlots, embeddedCapacityCall, embeddedCapacitySlots/embeddedCapacityCall.Seconds(), f.step, f.start))
		fmt.Fprintln(env.Stdout)
	} else if root, err = f.target.root(); err != nil {
		return Usagef("capacity: %v", err)
	}

	plan, cfg, err := f.search(fs, root, slo)
	if err != nil {
		return Usagef("capacity: %v", err)
	}
	worst, err := capacity.WorstCase(*cfg)
	if err != nil {
		return Usagef("capacity: %v", err)
	}
	if err := reports.WriteCapacityPlan(env.Stdout, plan, cfg, worst); err != nil {
		return err
	}
	if err := f.affordable(plan, worst); err != nil {
		return Usagef("capacity: %v", err)
	}
	if !f.cost.yes {
		cfg.MaxCalls, cfg.MaxTokens = f.cost.maxCalls, f.cost.budget
	}
	sinks, err := outputSinks(env.Stdout, f.outputPath)
	if err != nil {
		return Usagef("capacity: %v", err)
	}
	fmt.Fprintln(env.Stdout)

	runner := &capacity.Runner{Plan: *plan, Duration: cfg.StepDuration, Warmup: cfg.Warmup, Sinks: sinks}
	res, runErr := capacity.Search(env.Ctx, *cfg, runner.Step, capacity.WithStepDone(func(st *capacity.Step) {
		sayf(env.Stderr, "%s", reports.CapacityStepLine(st))
	}))
	if closeErr := runner.Close(); closeErr != nil && runErr == nil {
		runErr = closeErr
	}
	if res == nil {
		return Usagef("capacity: %v", runErr)
	}
	code := capacityExitCode(res)
	fmt.Fprintln(env.Stderr)
	if err := reports.WriteCapacity(env.Stdout, res); err != nil {
		return err
	}
	if f.jsonPath != "" {
		doc := reports.NewCapacityJSON(res, plan.Method(), plan.Root.URL(plan.Path), Version, code)
		if err := reports.WriteCapacityJSONFile(f.jsonPath, env.Stdout, doc); err != nil && runErr == nil {
			runErr = err
		}
	}
	if f.htmlPath != "" {
		err := reports.WriteCapacityHTMLFile(f.htmlPath, env.Stdout, res, plan.Method(), plan.Root.URL(plan.Path), Version, code)
		if err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform: capacity:", runErr)
		code = max(code, ExitErrors)
	}
	if code != ExitOK {
		return &ExitError{Code: code}
	}
	return nil
}

// capacityExitCode: 3 when nothing got an HTTP answer, 4 when even the lowest
// rate missed the SLO, 3 when interrupted, a step failed or a step could not
// be judged (no call after its warm-up: never read as a miss), else 0.
func capacityExitCode(res *capacity.Result) int {
	switch {
	case len(res.Steps) > 0 && res.Steps[0].NoAnswer:
		return ExitErrors
	case res.Stop == capacity.StopLowestMissed:
		return ExitThreshold
	case res.Stop == capacity.StopInterrupted || res.Stop == capacity.StopError || res.Stop == capacity.StopNotJudged:
		return ExitErrors
	}
	return ExitOK
}

// search turns the flags into what each step sends and the search's settings.
func (f *capacityFlags) search(fs *FlagSet, root target.Root, slo capacity.SLO) (*load.Plan, *capacity.Config, error) {
	first, err := load.Constant(f.start, f.step) // stands for every step in Validate and Estimate
	if err != nil {
		return nil, nil, fmt.Errorf("--start-rate: %v", err)
	}
	p, err := f.request.plan(fs, root, &f.target, first, "carpathian-conform capacity")
	if err != nil {
		return nil, nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	cfg := &capacity.Config{Start: f.start, Max: f.max, Precision: float64(f.precision), StepDuration: f.step,
		Warmup: f.warmup.Of(f.step), SLO: slo}
	if e := p.Estimate(); e.TokensBounded {
		cfg.TokensPerCall = e.TokensPerCall
	}
	return p, cfg, cfg.Validate()
}

// affordable refuses, unless --yes, a search whose worst case passes
// --max-calls or --max-tokens-budget.
func (f *capacityFlags) affordable(p *load.Plan, worst capacity.Estimate) error {
	bounded := p.IsModels() || p.Estimate().TokensBounded
	return f.cost.affordable("search", worst.Calls, worst.Tokens, bounded, "lower --max-rate or --step-duration, widen --precision")
}
