package suites

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// suiteName is the Ginkgo suite's description.
const suiteName = "Carpathian AI API contract"

// tokensPerChat is about what one chat call costs: the one-line prompt and a
// one-word answer.
const tokensPerChat = 40

// PlannedSpec is one spec of the suite as the plan (and --list) shows it.
type PlannedSpec struct {
	Name     string
	Clause   string
	Level    string
	Area     string
	Cost     Cost
	Scopes   []string // the points of the domain it stands on
	Calls    int      // worst case; calls shared with other specs are counted once in the plan
	Selected bool     // kept by --label-filter and --focus
	probes   []Probe  // the domain-table calls it judges
}

// Plan is what a run will do, known before any request.
type Plan struct {
	Specs    []PlannedSpec
	MaxCalls int // the most calls the selected specs make (429 retries aside)
	Tokens   int // about how many tokens they spend at most
	// MaxWait is about the longest the run waits on the limit: pacing and the
	// RATE workflow's quiet window and recovery. The target's answer times
	// come on top.
	MaxWait time.Duration
}

// Selected counts the specs that will run.
func (p *Plan) Selected() int {
	n := 0
	for _, s := range p.Specs {
		if s.Selected {
			n++
		}
	}
	return n
}

// Ginkgo's suite is process-global: one Prepare or Run at a time, one Run ever.
var (
	runMu sync.Mutex
	ran   bool
)

// Prepare validates the configuration and walks the spec tree without a
// request: the plan, for --list and for stating the run's cost up front. A
// --max-calls below the plan's bound is a configuration error.
func Prepare(cfg Config) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	runMu.Lock()
	defer runMu.Unlock()
	bridge = newRuntime(cfg)
	sc, rc := ginkgoConfig(cfg, io.Discard)
	report := PreviewSpecs(suiteName, sc, rc)
	probes := map[string]Probe{}
	for _, row := range Rows() {
		probes[row.Probe.id()] = row.Probe
	}
	plan := &Plan{MaxCalls: preflightCalls}
	paced, rate, sent := preflightCalls, map[string]bool{}, map[string]bool{}
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		l := parseLabels(sr.Labels())
		ps := PlannedSpec{Name: specName(sr), Clause: l.Clause, Level: l.Level, Area: l.Area, Cost: l.Cost, Scopes: l.Scopes,
			Calls: l.Calls + len(l.Probes), Selected: sr.State != types.SpecStateSkipped}
		for _, id := range l.Probes {
			ps.probes = append(ps.probes, probes[id])
		}
		plan.Specs = append(plan.Specs, ps)
		if !ps.Selected {
			continue
		}
		for _, id := range l.Probes {
			p := probes[id]
			if sent[id] || p.Key.missing(cfg.Keys) != "" {
				continue // shared with a spec before, or skipped for want of its key
			}
			sent[id] = true
			plan.MaxCalls++
			paced++
			if p.served() {
				plan.Tokens += tokensPerChat
			}
		}
		plan.MaxCalls += l.Calls
		if ps.Cost != CostNone {
			plan.Tokens += l.Calls * tokensPerChat
		}
		if strings.HasPrefix(ps.Clause, "RATE-") {
			rate[ps.Clause] = true // its calls go out at once, unpaced
		} else {
			paced += l.Calls
		}
	}
	plan.MaxWait = MaxWait(cfg.Limit, paced, rate)
	sort.SliceStable(plan.Specs, func(i, j int) bool {
		return clauseIndex(plan.Specs[i].Clause) < clauseIndex(plan.Specs[j].Clause)
	})
	if cfg.MaxCalls > 0 && cfg.MaxCalls < plan.MaxCalls {
		return plan, configErrorf("--max-calls %d is below what the selected specs may need (%d): raise it, or select fewer specs with --label-filter or --focus",
			cfg.MaxCalls, plan.MaxCalls)
	}
	if plan.Selected() == 0 {
		return plan, configErrorf("--label-filter/--focus select no spec: %s; --list shows each spec's", LabelHelp())
	}
	return plan, nil
}

// MaxWait is about the longest a run waits on the limit: paced calls go out
// PaceCap(N) per pace window, then the RATE workflow (the clauses selected)
// waits a quiet window before its burst, another before RATE-1's second try,
// and up to two windows for RATE-3's recovery.
func MaxWait(limit target.Limit, paced int, rate map[string]bool) time.Duration {
	pw := PaceWindow(limit.Window)
	var d time.Duration
	if c := PaceCap(limit.N); paced > 0 {
		d += time.Duration((paced-1)/c) * pw
	}
	return d + rateMaxWait(limit, rate)
}

// WritePlan lists the rows of the domain table and the RATE workflow's
// specs, with their labels (--list): no request is sent. Calls shared by
// several rows are counted once in the title.
func WritePlan(w io.Writer, p *Plan) error {
	rows := make([][]string, 0, len(p.Specs))
	for _, s := range p.Specs {
		run := "yes"
		if !s.Selected {
			run = "no"
		}
		scopes := make([]string, len(s.Scopes))
		for i, sc := range s.Scopes {
			scopes[i] = labelScope + sc
		}
		rows = append(rows, []string{s.Clause, s.Level, s.Area, s.Name, strings.Join(scopes, " "), string(s.Cost), run})
	}
	title := fmt.Sprintf("%d specs over %d clauses; the selected %d make at most %d calls (about %d tokens). "+
		"--label-filter selects on the columns clause, level, area, labels and cost: %s, e.g. 'area:auth && !cost:high', 'scope:key.revoked'",
		len(p.Specs), len(contract.Clauses), p.Selected(), p.MaxCalls, p.Tokens, LabelHelp())
	return reports.Table(w, title, []string{"clause", "level", "area", "spec", "labels", "cost", "run"}, rows, nil)
}

// Run runs the specs against the target and returns the conformance result.
// Ginkgo runs a suite once per process, so Run can be called only once.
//
// A preflight comes first. When it finds the user's mistake (no API at the
// base URL, a refused key) Run returns an error wrapping ErrConfig and no
// result. When the target does not answer at all, it returns a result whose
// every selected spec is an ERROR with the cause, and an error wrapping
// ErrUnreachable: the specs are not run.
func Run(ctx context.Context, cfg Config, plan *Plan) (*results.Conformance, error) {
	runMu.Lock()
	defer runMu.Unlock()
	if ran {
		return nil, errors.New("suites.Run: the suite has already run in this process")
	}
	ran = true
	rt := newRuntime(cfg)
	bridge = rt
	rt.status.total = plan.Selected()
	if cfg.Status != nil && !cfg.Verbose {
		stop := rt.status.draw(cfg.Status, statusTick)
		defer stop()
	} else if cfg.Progress != nil {
		t := time.NewTicker(ProgressEvery)
		defer t.Stop()
		defer rt.status.progress(cfg.Progress, t.C, time.Now)()
	}
	started := time.Now()
	if err := rt.preflight(ctx); errors.Is(err, ErrUnreachable) {
		return conformance(rt, cfg, plan, started, unansweredSpecs(plan, err.Error()), ctx.Err() != nil), err
	} else if err != nil {
		return nil, err
	}
	rt.prefetch(ctx, plan)
	out := io.Discard
	if cfg.Verbose && cfg.Out != nil {
		out = cfg.Out
	}
	sc, rc := ginkgoConfig(cfg, out)
	RunSpecs(failRecorder{}, suiteName, sc, rc)
	interrupted := ctx.Err() != nil || interruptedReport(lastReport)
	return conformance(rt, cfg, plan, started, specResults(lastReport, rt.red, interrupted), interrupted), nil
}

// statusTick is how often the live status line is redrawn.
const statusTick = 250 * time.Millisecond

// conformance is the run's result from its spec results.
func conformance(rt *runtime, cfg Config, plan *Plan, started time.Time, specs []results.SpecResult, interrupted bool) *results.Conformance {
	conf := &results.Conformance{
		Schema:      results.SchemaConformance,
		ToolVersion: cfg.ToolVersion,
		Target:      cfg.Root.String(),
		Embedded:    cfg.Embedded,
		Model:       rt.boundModel(),
		RateLimit:   cfg.Limit.String(),
		Strict:      cfg.Strict,
		Started:     started.UTC(),
		Finished:    time.Now().UTC(),
		Interrupted: interrupted,
		Calls:       rt.meter.Calls(),
		MaxCalls:    plan.MaxCalls,
		Waited429:   rt.meter.Waited429(),
		Tokens:      rt.meter.Tokens(),
	}
	conf.Clauses, conf.Counts, conf.ExitCode = results.Aggregate(specs, cfg.Strict)
	return conf
}

// unansweredSpecs is the result of a run whose target never answered: every
// selected spec an ERROR with the cause.
func unansweredSpecs(plan *Plan, cause string) []results.SpecResult {
	out := make([]results.SpecResult, 0, len(plan.Specs))
	for _, s := range plan.Specs {
		res := results.SpecResult{Clause: s.Clause, Name: s.Name, Outcome: results.OutcomeErrored, Detail: cause}
		if !s.Selected {
			res.Outcome, res.Detail = results.OutcomeSkipped, notSelected
		}
		out = append(out, res)
	}
	return out
}

// notSelected is why a filtered-out spec did not run.
const notSelected = "not selected by --label-filter/--focus"

// failRecorder stands in for testing.T: RunSpecs reports a failed suite by
// calling Fail, which the verdicts already say.
type failRecorder struct{}

func (failRecorder) Fail() {}

// ginkgoConfig is Ginkgo's configuration for a run: our filters, a fixed
// order, no colour, and its own output only under -v.
func ginkgoConfig(cfg Config, out io.Writer) (types.SuiteConfig, types.ReporterConfig) {
	sc, rc := GinkgoConfiguration()
	sc.LabelFilter = cfg.LabelFilter
	sc.FocusStrings = cfg.Focus
	sc.RandomizeAllSpecs = false
	sc.RandomSeed = 1
	sc.FailFast = false
	sc.Timeout = 24 * time.Hour
	rc.NoColor = true
	rc.Verbose = cfg.Verbose
	rc.Succinct = !cfg.Verbose
	formatter.ColorableStdOut = out
	formatter.ColorableStdErr = out
	return sc, rc
}

// specName is a spec's text below the suite's root container.
func specName(sr types.SpecReport) string {
	parts := append([]string{}, sr.ContainerHierarchyTexts...)
	if len(parts) > 0 && parts[0] == suiteName {
		parts = parts[1:]
	}
	if sr.LeafNodeText != "" {
		parts = append(parts, sr.LeafNodeText)
	}
	return strings.Join(parts, " ")
}

// specResults turns Ginkgo's report into one SpecResult per spec.
func specResults(report types.Report, red target.Redactor, interrupted bool) []results.SpecResult {
	var out []results.SpecResult
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		out = append(out, specResult(sr, red, interrupted))
	}
	sort.SliceStable(out, func(i, j int) bool { return clauseIndex(out[i].Clause) < clauseIndex(out[j].Clause) })
	return out
}

func specResult(sr types.SpecReport, red target.Redactor, interrupted bool) results.SpecResult {
	l := parseLabels(sr.Labels())
	res := results.SpecResult{Clause: l.Clause, Name: specName(sr), Duration: sr.RunTime}
	var erroredEntry, observed bool
	var details []string
	for _, e := range sr.ReportEntries {
		switch e.Name {
		case entryErrored:
			erroredEntry = true
		case entryEvidence:
			if ev, ok := e.Value.GetRawValue().([]target.Evidence); ok {
				res.Evidence = append(res.Evidence, ev...)
			}
		case entryObserved:
			observed = true
			details = append(details, fmt.Sprint(e.Value.GetRawValue()))
		case entryDetail:
			details = append(details, fmt.Sprint(e.Value.GetRawValue()))
		case entryScope:
			res.Scope = red.String(fmt.Sprint(e.Value.GetRawValue()))
		}
	}
	switch {
	case sr.State == types.SpecStatePassed && observed:
		res.Outcome = results.OutcomeObserved
	case sr.State == types.SpecStatePassed:
		res.Outcome = results.OutcomePassed
	case sr.State == types.SpecStateSkipped:
		res.Outcome = results.OutcomeSkipped
		details = []string{sr.Failure.Message}
		switch {
		case sr.Failure.Message != "":
		case interrupted:
			details = []string{"not run: the run was interrupted"}
		default:
			details = []string{notSelected}
		}
	case sr.State == types.SpecStateFailed && !erroredEntry:
		res.Outcome = results.OutcomeViolated
		details = []string{sr.Failure.Message}
	default: // errored, panicked, interrupted, timed out, aborted
		res.Outcome = results.OutcomeErrored
		msg := sr.Failure.Message
		if msg == "" {
			msg = sr.State.String()
		}
		details = []string{msg}
	}
	res.Detail = red.String(strings.Join(details, "; "))
	if res.Outcome != results.OutcomeViolated && res.Outcome != results.OutcomeObserved {
		res.Evidence = nil
	}
	return res
}

func clauseIndex(id string) int {
	for i, c := range contract.Clauses {
		if c.ID == id {
			return i
		}
	}
	return len(contract.Clauses)
}

// interruptedReport tells whether Ginkgo stopped the run on a signal (it
// handles SIGINT itself, alongside our context).
func interruptedReport(r types.Report) bool {
	for _, reason := range r.SpecialSuiteFailureReasons {
		if strings.Contains(strings.ToLower(reason), "interrupted") {
			return true
		}
	}
	return false
}

// lastReport is Ginkgo's report of the run, kept by ReportAfterSuite.
var lastReport types.Report

var _ = ReportAfterSuite("collect results", func(r Report) { lastReport = r })
