package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/suites"
	"github.com/carpathian-ai/carpathian-conform/target"
)

// loadFlags are the load command's flags.
type loadFlags struct {
	baseURL                        string
	keys, thresholds, aborts       StringList
	rate, rampTo                   load.Rate
	steps, arrivals                string
	duration, timeout, grace, tol  time.Duration
	inFlight, maxTokens            int
	seed                           uint64
	prompt, promptsFile, bodyFile  string
	path                           string
	maxWorkers                     uint64
	maxCalls, budget               int64
	yes                            bool
	jsonPath, outputPath, htmlPath string
	sampleEvery                    int
}

func defineLoadFlags(fs *FlagSet) *loadFlags {
	f := &loadFlags{rate: 1}
	fs.StringVar(&f.baseURL, "base-url", "", "the target's base URL, e.g. https://api.carpathian.ai/ai/v1 (required; `carpathian-conform serve` runs a local one)")
	fs.Var(&f.keys, "api-key", "cai_ key (repeat it to spread calls evenly over several keys)")
	fs.Var(&f.rate, "rate", "constant rate N/WINDOW, e.g. 5/s or 300/1m (the start of a --ramp-to)")
	fs.Lookup("rate").DefValue = "1/s"
	fs.PositiveDuration(&f.duration, "duration", 10*time.Second, "how long to send")
	fs.Var(&f.rampTo, "ramp-to", "ramp linearly from --rate to this rate over --duration")
	fs.StringVar(&f.steps, "steps", "", "a list of RATE@DURATION, e.g. 5/s@30s,10/s@30s (replaces --rate and --duration)")
	fs.IntVar(&f.inFlight, "in-flight", 0, "closed loop: keep N calls in flight for --duration (replaces --rate)")
	fs.StringVar(&f.arrivals, "arrivals", "uniform", "uniform (evenly spaced) or poisson (exponential gaps, same mean rate)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of Poisson arrivals and prompt sampling")
	fs.StringVar(&f.prompt, "prompt", "Say hi.", "the user message of every chat call")
	fs.StringVar(&f.promptsFile, "prompts-file", "", "file of prompts, one per line (plain text or a JSON message list), sampled per call")
	fs.StringVar(&f.bodyFile, "body-file", "", "a recorded chat request body (JSON), sent as it is")
	fs.IntVar(&f.maxTokens, "max-tokens", 16, "max_tokens of each chat call (0 leaves it out: cost then unbounded)")
	fs.StringVar(&f.path, "path", "chat", "what to call: chat, models, or a path under the root such as /chat or /v1/completions")
	fs.PositiveDuration(&f.timeout, "timeout", target.DefaultTimeout, "timeout of each call")
	fs.PositiveDuration(&f.grace, "grace", load.DefaultGrace, "after Ctrl-C or --abort-on, how long calls in flight may finish")
	fs.PositiveDuration(&f.tol, "tolerance", load.DefaultTolerance, "how late a slot may be sent; later ones are dropped and counted as missed")
	fs.Uint64Var(&f.maxWorkers, "max-workers", load.DefaultMaxWorkers, "open loop: most calls in flight; past it slots are missed")
	fs.Int64Var(&f.maxCalls, "max-calls", 10000, "refuse a plan of more calls, and stop there, unless --yes")
	fs.Int64Var(&f.budget, "max-tokens-budget", 1_000_000, "refuse a plan whose worst-case tokens exceed this, unless --yes")
	fs.BoolVar(&f.yes, "yes", false, "run a plan beyond --max-calls or --max-tokens-budget")
	fs.Var(&f.thresholds, "threshold", "CI gate, repeatable: p99<2s, success>=99.5%, rate>=4.9/s, errors==0, tokens_per_s>=100 (breached: exit 4)")
	fs.Var(&f.aborts, "abort-on", "stop early when this holds, repeatable: 'error_rate>10% for 10s', 'tokens>50000' (exit 4)")
	fs.StringVar(&f.jsonPath, "json", "", "write the summary as JSON (a superset of vegeta's report -type=json) to FILE")
	fs.StringVar(&f.outputPath, "output", "", "write every result in vegeta's binary format to FILE (vegeta report/plot read it)")
	fs.StringVar(&f.htmlPath, "html", "", "write a latency-over-time plot (vegeta plot) to FILE")
	fs.IntVar(&f.sampleEvery, "sample-every", load.DefaultSampleEvery, "check one successful chat reply in N against the CHAT clauses (0: none)")
	return f
}

// runLoad drives calls at a controlled rate and reports what happened.
func runLoad(env Env, args []string) error {
	fs := NewFlagSet("load", "carpathian-conform load: drive chat (or models) calls at a controlled rate; report latency, throughput, tokens and CI thresholds")
	f := defineLoadFlags(fs)
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	plan, err := f.plan(set)
	if err != nil {
		return Usagef("load: %v", err)
	}
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
	for _, p := range []string{f.jsonPath, f.outputPath, f.htmlPath} {
		if err := reports.CheckWritable(p); err != nil {
			return Usagef("load: %v", err)
		}
	}
	if err := reports.WriteLoadPlan(env.Stdout, plan); err != nil {
		return err
	}
	if err := f.affordable(plan); err != nil {
		return Usagef("load: %v", err)
	}
	fmt.Fprintln(env.Stdout)

	opts := []load.Option{load.WithAbort(aborts...), load.WithGrace(f.grace), load.WithPacerOptions(load.WithTolerance(f.tol))}
	if f.sampleEvery > 0 && !plan.IsModels() {
		opts = append(opts, load.WithChecker(chatChecker(), f.sampleEvery))
	}
	sinks, err := f.outputs(plan)
	if err != nil {
		return Usagef("load: %v", err)
	}
	opts = append(opts, load.WithSinks(sinks...))
	if isTerminal(env.Stderr) {
		opts = append(opts, load.WithProgress(time.Second, func(p load.Progress) {
			fmt.Fprintf(env.Stderr, "\r\033[K%s", reports.LoadProgressLine(p))
		}))
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
	if f.jsonPath != "" {
		if err := reports.WriteLoadJSONFile(f.jsonPath, reports.NewLoadJSON(run, Version)); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		fmt.Fprintln(env.Stderr, "carpathian-conform: load:", runErr)
		run.ExitCode = max(run.ExitCode, ExitErrors)
	}
	if run.ExitCode != ExitOK {
		return &ExitError{Code: run.ExitCode}
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
func (f *loadFlags) plan(set map[string]bool) (*load.Plan, error) {
	if strings.TrimSpace(f.baseURL) == "" {
		return nil, fmt.Errorf("give --base-url (for a local target run `carpathian-conform serve` and use http://127.0.0.1:8080/ai/v1)")
	}
	root, err := target.ParseBaseURL(f.baseURL)
	if err != nil {
		return nil, err
	}
	path, err := load.ResolvePath(f.path)
	if err != nil {
		return nil, err
	}
	profile, err := f.profile(set)
	if err != nil {
		return nil, err
	}
	p := &load.Plan{Root: root, Path: path, Keys: f.keys, Profile: profile, Timeout: f.timeout,
		MaxWorkers: f.maxWorkers, Seed: f.seed, Name: "carpathian-conform"}
	if !p.IsModels() {
		if p.Bodies, err = f.bodies(set); err != nil {
			return nil, err
		}
	}
	if !f.yes {
		p.MaxCalls = f.maxCalls
		if e := p.Estimate(); e.TokensBounded && e.TokensPerCall > 0 {
			p.MaxCalls = min(p.MaxCalls, f.budget/e.TokensPerCall)
		}
	}
	return p, p.Validate()
}

func (f *loadFlags) profile(set map[string]bool) (load.Profile, error) {
	conflict := func(a, b string) error { return fmt.Errorf("--%s and --%s do not go together", a, b) }
	var p load.Profile
	var err error
	switch {
	case set["steps"]:
		for _, other := range []string{"rate", "ramp-to", "duration", "in-flight"} {
			if set[other] {
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
	case set["in-flight"]:
		for _, other := range []string{"rate", "ramp-to", "arrivals"} {
			if set[other] {
				return nil, conflict("in-flight", other)
			}
		}
		return load.Closed(f.inFlight, f.duration)
	case set["ramp-to"]:
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

func (f *loadFlags) bodies(set map[string]bool) ([][]byte, error) {
	if f.maxTokens < 0 {
		return nil, fmt.Errorf("--max-tokens %d must be 0 or more", f.maxTokens)
	}
	switch {
	case f.bodyFile != "" && (f.promptsFile != "" || set["prompt"]):
		return nil, fmt.Errorf("--body-file is sent as it is: drop --prompt and --prompts-file")
	case f.bodyFile != "":
		if set["max-tokens"] {
			return nil, fmt.Errorf("--body-file is sent as it is: set max_tokens inside it, not with --max-tokens")
		}
		b, err := os.ReadFile(f.bodyFile)
		if err != nil {
			return nil, fmt.Errorf("--body-file: %v", err)
		}
		body, err := load.RecordedBody(b)
		if err != nil {
			return nil, fmt.Errorf("--body-file %s: %v", f.bodyFile, err)
		}
		return [][]byte{body}, nil
	case f.promptsFile != "":
		if set["prompt"] {
			return nil, fmt.Errorf("give --prompt or --prompts-file, not both")
		}
		file, err := os.Open(f.promptsFile)
		if err != nil {
			return nil, fmt.Errorf("--prompts-file: %v", err)
		}
		defer file.Close()
		prompts, err := load.ReadPrompts(file)
		if err != nil {
			return nil, fmt.Errorf("--prompts-file %s: %v", f.promptsFile, err)
		}
		return load.ChatBodies(prompts, f.maxTokens), nil
	}
	if strings.TrimSpace(f.prompt) == "" {
		return nil, fmt.Errorf("--prompt is empty")
	}
	return load.ChatBodies([][]target.Message{load.Prompt(f.prompt)}, f.maxTokens), nil
}

// affordable refuses, unless --yes, a plan beyond --max-calls or
// --max-tokens-budget.
func (f *loadFlags) affordable(p *load.Plan) error {
	if f.yes {
		return nil
	}
	e := p.Estimate()
	calls, _ := p.Profile.Calls()
	if p.Profile.InFlight() == 0 && calls > f.maxCalls {
		return fmt.Errorf("the plan makes about %d calls, more than --max-calls %d: lower the rate or duration, raise --max-calls, or pass --yes", calls, f.maxCalls)
	}
	if p.IsModels() {
		return nil
	}
	if !e.TokensBounded {
		return fmt.Errorf("no max_tokens in the request, so the worst-case tokens are unbounded: set --max-tokens (or max_tokens in --body-file), or pass --yes")
	}
	if worst := calls * e.TokensPerCall; p.Profile.InFlight() == 0 && worst > f.budget {
		return fmt.Errorf("the plan may spend %d tokens, more than --max-tokens-budget %d: lower the rate, duration or --max-tokens, raise the budget, or pass --yes", worst, f.budget)
	}
	return nil
}

func (f *loadFlags) outputs(p *load.Plan) ([]load.Sink, error) {
	var sinks []load.Sink
	if f.outputPath != "" {
		s, err := load.FileOutput(f.outputPath, load.BinaryOutput)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, s)
	}
	if f.htmlPath != "" {
		title := "carpathian-conform load: " + p.Profile.String()
		s, err := load.FileOutput(f.htmlPath, func(w io.Writer) load.Sink { return load.PlotOutput(w, title) })
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, s)
	}
	return sinks, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// chatChecker checks sampled replies with the suite's CHAT check functions
// (CHAT-1 to CHAT-4, and CHAT-6 against the request's max_tokens).
func chatChecker() load.ResponseChecker {
	return load.CheckerFunc(func(request []byte, status int, header http.Header, body []byte) []load.Violation {
		ex := &target.Exchange{Method: http.MethodPost, Status: status, Header: header, Body: body, RequestBody: request}
		if err := suites.CheckChatEnvelope(ex); err != nil {
			return []load.Violation{{Clause: "CHAT-1", Detail: err.Error()}}
		}
		obj, err := suites.DecodeObject(body)
		if err != nil {
			return []load.Violation{{Clause: "CHAT-1", Detail: err.Error()}}
		}
		var vs []load.Violation
		add := func(clause string, err error) {
			if err != nil {
				vs = append(vs, load.Violation{Clause: clause, Detail: err.Error()})
			}
		}
		add("CHAT-2", suites.CheckChatChoices(obj))
		usage, err := suites.CheckChatUsage(obj)
		add("CHAT-3", err)
		add("CHAT-4", suites.CheckChatFields(obj))
		var req struct {
			MaxTokens int `json:"max_tokens"`
		}
		if err == nil && json.Unmarshal(request, &req) == nil && req.MaxTokens > 0 && usage.CompletionTokens > req.MaxTokens {
			add("CHAT-6", fmt.Errorf("completion_tokens %d > max_tokens %d", usage.CompletionTokens, req.MaxTokens))
		}
		return vs
	})
}
