package cli

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/load/capacity"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/target"
)

// The embedded server of a capacity demo: a concurrency cap and a fixed
// service time, so its capacity is known (8 / 100 ms = 80 calls/s), and
// shorter steps so the demo takes about half a minute.
const (
	embeddedCapacitySlots = 8
	embeddedCapacityCall  = 100 * time.Millisecond
	embeddedCapacityStep  = 2 * time.Second
)

// capacityFlags are the capacity command's own flags; the ones it shares
// with load live in a loadFlags so that load's helpers read them.
type capacityFlags struct {
	shared     loadFlags
	slo        string
	start, max load.Rate
	step       time.Duration
	warmup     capacity.Warmup
	precision  capacity.Precision
}

func defineCapacityFlags(fs *FlagSet) *capacityFlags {
	f := &capacityFlags{start: capacity.DefaultStart, max: capacity.DefaultMax, warmup: capacity.DefaultWarmup,
		precision: capacity.Precision(capacity.DefaultPrecision)}
	s := &f.shared
	fs.StringVar(&s.baseURL, "base-url", "", "the target's base URL, e.g. https://api.carpathian.ai/ai/v1 (none: an embedded reference server of known capacity)")
	fs.Var(&s.keys, "api-key", "cai_ key (repeat it to spread calls evenly over several keys: their limits must exceed the rates tried)")
	fs.StringVar(&f.slo, "slo", "", "the SLO every step must meet, load thresholds separated by commas, e.g. 'p95<3s,success>=99%' (required)")
	fs.Var(&f.start, "start-rate", "the first rate tried, N/WINDOW")
	fs.Lookup("start-rate").DefValue = f.start.String()
	fs.Var(&f.max, "max-rate", "the highest rate tried, N/WINDOW")
	fs.Lookup("max-rate").DefValue = f.max.String()
	fs.PositiveDuration(&f.step, "step-duration", capacity.DefaultStepDuration, "how long each rate is held, warm-up included")
	fs.Var(&f.warmup, "warmup", "the first part of each step left out of its figures: a share (20%) or a duration (2s)")
	fs.Lookup("warmup").DefValue = f.warmup.String()
	fs.Var(&f.precision, "precision", "bisect until the first rate that missed is within this percentage above the last that met")
	fs.Lookup("precision").DefValue = f.precision.String()
	fs.StringVar(&s.prompt, "prompt", "Say hi.", "the user message of every chat call")
	fs.IntVar(&s.maxTokens, "max-tokens", 16, "max_tokens of each chat call (0 leaves it out: cost then unbounded)")
	fs.StringVar(&s.path, "path", "chat", "what to call: chat, models, or a path under the root such as /chat")
	fs.PositiveDuration(&s.timeout, "timeout", target.DefaultTimeout, "timeout of each call")
	fs.Int64Var(&s.maxCalls, "max-calls", 10000, "refuse a search whose worst case makes more calls, unless --yes")
	fs.Int64Var(&s.budget, "max-tokens-budget", 1_000_000, "refuse a search whose worst-case tokens exceed this, unless --yes")
	fs.BoolVar(&s.yes, "yes", false, "run a search beyond --max-calls or --max-tokens-budget")
	fs.StringVar(&s.jsonPath, "json", "", "write the steps and the answer as JSON to FILE")
	fs.StringVar(&s.outputPath, "output", "", "write every call of every step in vegeta's binary format to FILE (vegeta report/plot read it)")
	return f
}

// runCapacity finds the highest rate that meets an SLO.
func runCapacity(env Env, args []string) error {
	fs := NewFlagSet("capacity", "carpathian-conform capacity: find the highest request rate that meets an SLO (double from --start-rate until a step misses, then bisect to --precision)")
	f := defineCapacityFlags(fs)
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	s := &f.shared
	if strings.TrimSpace(f.slo) == "" {
		return Usagef("capacity: give --slo, the SLO each rate must meet, e.g. --slo 'p95<3s,success>=99%%'")
	}
	slo, err := capacity.ParseSLO(f.slo)
	if err != nil {
		return Usagef("capacity: --slo: %v", err)
	}
	embedded := s.baseURL == ""
	if embedded && len(s.keys) > 0 {
		return Usagef("capacity: --api-key without --base-url: the embedded server has its own keys; give --base-url too")
	}
	if !embedded && len(s.keys) == 0 {
		return Usagef("capacity: --api-key is required with --base-url (or set %s)", EnvName("api-key"))
	}
	for _, p := range []string{s.jsonPath, s.outputPath} {
		if err := reports.CheckWritable(p); err != nil {
			return Usagef("capacity: %v", err)
		}
	}

	var root target.Root
	if embedded {
		if !set["step-duration"] {
			f.step = embeddedCapacityStep
		}
		srv, err := fixtures.Start(fixtures.WithRateLimit(target.Limit{}), fixtures.WithConcurrency(embeddedCapacitySlots),
			fixtures.WithLatency(fixtures.Latency{Base: embeddedCapacityCall}))
		if err != nil {
			return fmt.Errorf("cannot start the embedded reference server: %v", err)
		}
		defer srv.Close()
		root, s.keys = srv.Root(), StringList{srv.Keys().Valid}
		fmt.Fprintf(env.Stdout, "No --base-url: searching the embedded reference server at %s with its fixture key: %d calls in service at once, %s each, so about %.0f calls/s by design (steps of %s).\n\n",
			root.Base(target.ShapeV1), embeddedCapacitySlots, embeddedCapacityCall, embeddedCapacitySlots/embeddedCapacityCall.Seconds(), f.step)
	} else if root, err = target.ParseBaseURL(s.baseURL); err != nil {
		return Usagef("capacity: --base-url: %v", err)
	}

	plan, cfg, err := f.search(root, slo, set)
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
	if !s.yes {
		cfg.MaxCalls, cfg.MaxTokens = s.maxCalls, s.budget
	}
	sinks, err := s.outputs(plan)
	if err != nil {
		return Usagef("capacity: %v", err)
	}
	fmt.Fprintln(env.Stdout)

	runner := &capacity.Runner{Plan: *plan, Duration: cfg.StepDuration, Warmup: cfg.Warmup, Sinks: sinks}
	res, runErr := capacity.Search(env.Ctx, *cfg, runner.Step, capacity.WithStepDone(func(st *capacity.Step) {
		fmt.Fprintln(env.Stderr, reports.CapacityStepLine(st))
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
	if s.jsonPath != "" {
		doc := reports.NewCapacityJSON(res, plan.Method(), plan.Root.URL(plan.Path), Version, code)
		if err := reports.WriteCapacityJSONFile(s.jsonPath, doc); err != nil && runErr == nil {
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
// rate missed the SLO, 3 when interrupted or a step failed, else 0.
func capacityExitCode(res *capacity.Result) int {
	switch {
	case len(res.Steps) > 0 && res.Steps[0].NoAnswer:
		return ExitErrors
	case res.Stop == capacity.StopLowestMissed:
		return ExitThreshold
	case res.Stop == capacity.StopInterrupted || res.Stop == capacity.StopError:
		return ExitErrors
	}
	return ExitOK
}

// search turns the flags into what each step sends and the search's settings.
func (f *capacityFlags) search(root target.Root, slo capacity.SLO, set map[string]bool) (*load.Plan, *capacity.Config, error) {
	s := &f.shared
	path, err := load.ResolvePath(s.path)
	if err != nil {
		return nil, nil, err
	}
	first, err := load.Constant(f.start, f.step) // stands for every step in Validate and Estimate
	if err != nil {
		return nil, nil, fmt.Errorf("--start-rate: %v", err)
	}
	p := &load.Plan{Root: root, Path: path, Keys: s.keys, Profile: first, Timeout: s.timeout, Name: "carpathian-conform capacity"}
	if !p.IsModels() {
		if p.Bodies, err = s.bodies(set); err != nil {
			return nil, nil, err
		}
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
	s := &f.shared
	switch {
	case s.yes:
		return nil
	case worst.Calls > s.maxCalls:
		return fmt.Errorf("the search may make %d calls in the worst case, more than --max-calls %d: lower --max-rate or --step-duration, widen --precision, raise --max-calls, or pass --yes", worst.Calls, s.maxCalls)
	case p.IsModels():
		return nil
	case s.maxTokens == 0:
		return fmt.Errorf("no max_tokens in the request, so the worst-case tokens are unbounded: set --max-tokens, or pass --yes")
	case worst.Tokens > s.budget:
		return fmt.Errorf("the search may spend %d tokens in the worst case, more than --max-tokens-budget %d: lower --max-rate, --step-duration or --max-tokens, raise the budget, or pass --yes", worst.Tokens, s.budget)
	}
	return nil
}
