package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/load/capacity"
)

// WriteCapacityPlan states, before anything is sent, what a capacity search
// will try and its worst-case cost.
func WriteCapacityPlan(w io.Writer, p *load.Plan, cfg *capacity.Config, e capacity.Estimate) error {
	keys := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		keys[i] = target.Redact(k)
	}
	tokens := "none (models calls)"
	switch {
	case !p.IsModels() && cfg.TokensPerCall == 0:
		tokens = "unbounded: a body sets no max_tokens"
	case !p.IsModels():
		tokens = fmt.Sprintf("at most %d (%d per call)", e.Tokens, cfg.TokensPerCall)
	}
	rows := [][]string{
		{"target", p.Method() + " " + p.Root.URL(p.Path)},
		{"SLO", cfg.SLO.String() + " (on calls after the warm-up, 429s counted apart)"},
		{"kept up", capacity.ServedRule},
		{"rates", fmt.Sprintf("from %s, doubling up to %s until the SLO is missed, then bisecting to within %s",
			cfg.Start, cfg.Max, capacityPct(cfg.Precision))},
		{"each step", fmt.Sprintf("%s, the first %s left out of its figures (%d calls measured at the start rate; at least %d are needed)",
			cfg.StepDuration, cfg.Warmup, capacity.MeasuredCalls(cfg.Start, cfg.StepDuration, cfg.Warmup), capacity.MinMeasuredCalls)},
		{"worst case", fmt.Sprintf("%d steps, %d calls, %s of sending", e.Steps, e.Calls, e.Duration)},
		{"worst-case tokens", tokens},
		{"keys", strings.Join(keys, ", ")},
		{"timeout per call", p.Timeout.String()},
	}
	return Table(w, "Capacity search", []string{"plan", "value"}, rows, nil)
}

// WriteCapacity renders a search for people: the steps in rate order, why
// steps missed, the answer with the step that proved it, the knee and the
// spending.
func WriteCapacity(w io.Writer, res *capacity.Result) error {
	steps := slices.Clone(res.Steps)
	slices.SortStableFunc(steps, func(a, b *capacity.Step) int { return cmp.Compare(a.Rate, b.Rate) })
	header := capacityStepHeader
	rows := make([][]string, len(steps))
	for i, s := range steps {
		rows[i] = capacityStepRow(s)
	}
	if err := Table(w, capacityStepTitle, header, rows, loadRightFrom(1, len(header))); err != nil {
		return err
	}
	if why := capacityMisses(res); len(why) > 0 {
		fmt.Fprintln(w, "\nSteps that missed or were not judged:")
		for _, line := range why {
			writeProse(w, "  ", line)
		}
	}
	fmt.Fprintln(w)
	for _, line := range CapacityAnswer(res) {
		writeProse(w, "", line)
	}
	return nil
}

var capacityStepHeader = []string{"#", "offered", "served", "p50", "p95", "p99", "p99.9", "success", "429s", "tokens/s", "SLO met"}

const capacityStepTitle = "Steps in rate order (# is the order run; rates and tokens per second; figures after each step's warm-up, success and latency without 429s)"

// capacityMisses says, a line a step, why steps missed or were not judged.
func capacityMisses(res *capacity.Result) []string {
	var why []string
	for _, s := range res.Steps {
		if !s.Met && len(s.Reasons) > 0 {
			why = append(why, fmt.Sprintf("step %d (%s): %s", s.Index, s.Rate, strings.Join(s.Reasons, "; ")))
		}
	}
	return why
}

// writeProse prints a statement word-wrapped to TableWidth, every line
// after indent.
func writeProse(w io.Writer, indent, s string) {
	for _, l := range Wrap(s, TableWidth-len(indent)) {
		fmt.Fprintln(w, indent+l)
	}
}

func capacityStepRow(s *capacity.Step) []string {
	l := s.Measured.SuccessLatencies
	p50, p95, p99, p999 := "-", "-", "-", "-"
	if l.Count > 0 {
		p50, p95, p99, p999 = shortDur(l.P50), shortDur(l.P95), shortDur(l.P99), shortDur(l.P999)
	}
	success := "-"
	if s.Measured.Requests > 0 {
		success = loadPct(s.Measured.SuccessRatio())
	}
	tokens := "-"
	if s.Measured.Chat {
		tokens = strconv.FormatFloat(s.TokensPerSecond(), 'f', 1, 64)
	}
	perSecond := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	return []string{strconv.Itoa(s.Index), perSecond(float64(s.Rate)), perSecond(s.Achieved), p50, p95, p99, p999, success, loadCount(s.RateLimited), tokens, capacityVerdict(s)}
}

func capacityVerdict(s *capacity.Step) string {
	switch {
	case s.Interrupted:
		return "interrupted"
	case !s.Judged:
		return "not judged"
	case s.Met:
		return "yes"
	case s.RateLimitDominated():
		return "no: 429s"
	}
	return "no"
}

// CapacityAnswer is the search's conclusion, one statement a line: the
// answer and the step that proved it, the knee, 429 warnings, the spending.
// The answer is the offered rate that met the SLO, or what that step served
// when it is lower by more than the precision (429s or a low-rate slack can
// make it so): never more than the target was seen to serve.
func CapacityAnswer(res *capacity.Result) []string {
	var lines []string
	best, ceil, slo := res.Best, res.Ceiling, res.Config.SLO
	claim := func(s *capacity.Step) string {
		if s.Achieved < float64(s.Rate)*(1-res.Config.Precision) {
			return loadRate(s.Achieved) + " served"
		}
		return s.Rate.String()
	}
	proof := func(s *capacity.Step) string {
		return fmt.Sprintf("step %d: %s offered, %s served, p95 %s, %s success", s.Index, s.Rate, loadRate(s.Achieved),
			loadDur(s.Measured.SuccessLatencies.P95), loadPct(s.Measured.SuccessRatio()))
	}
	last := func() *capacity.Step { return res.Steps[len(res.Steps)-1] }
	switch {
	case best == nil && res.Stop == capacity.StopLowestMissed:
		s := res.Steps[0]
		lines = append(lines, fmt.Sprintf("No sustainable rate: even the lowest, %s, missed the SLO %s (step %d: %s).",
			s.Rate, slo, s.Index, strings.Join(s.Reasons, "; ")))
	case best == nil && res.Stop == capacity.StopNotJudged:
		s := last()
		lines = append(lines, fmt.Sprintf("No answer: step %d (%s) sent no call after its %s warm-up, so it was not judged: "+
			"raise --step-duration or --start-rate.", s.Index, s.Rate, s.Warmup))
	case best == nil:
		lines = append(lines, fmt.Sprintf("No answer: the search stopped (%s) before any rate met the SLO.", res.Stop))
	case res.Stop == capacity.StopMaxRate:
		lines = append(lines, fmt.Sprintf("Maximum sustainable rate: at least %s, at the --max-rate, which met the SLO %s (%s). "+
			"Raise --max-rate to look further.", claim(best), slo, proof(best)))
	case res.Stop == capacity.StopPrecision:
		lines = append(lines, fmt.Sprintf("Maximum sustainable rate: %s, meeting the SLO %s (%s); %s missed it (step %d), within the %s precision.",
			claim(best), slo, proof(best), ceil.Rate, ceil.Index, capacityPct(res.Config.Precision)))
	default:
		between := ""
		if ceil != nil {
			between = fmt.Sprintf("; %s missed it (step %d)", ceil.Rate, ceil.Index)
		}
		lines = append(lines, fmt.Sprintf("Best so far (the search stopped: %s): %s met the SLO %s (%s)%s.",
			res.Stop, claim(best), slo, proof(best), between))
	}
	k := res.Knee
	switch {
	case k.Found:
		below := ""
		if k.Below > 0 {
			below = fmt.Sprintf("; %s was still under the rule", k.Below)
		}
		lines = append(lines, fmt.Sprintf("Knee: latency begins to climb at %s (median %s against %s at %s%s). Rule: %s.",
			k.Rate, loadDur(k.P50), loadDur(k.Baseline), k.BaselineRate, below, capacity.KneeRule))
	case k.Highest > 0:
		lines = append(lines, fmt.Sprintf("Knee: none up to %s (the median stayed within %g× its %s at %s). Rule: %s.",
			k.Highest, capacity.KneeFactor, loadDur(k.Baseline), k.BaselineRate, capacity.KneeRule))
	}
	var limited []string
	for _, s := range res.Steps {
		if s.RateLimitDominated() {
			limited = append(limited, fmt.Sprintf("%d (%s, %.0f%% 429s)", s.Index, s.Rate, 100*s.RateLimitedShare()))
		}
	}
	if len(limited) > 0 {
		lines = append(lines, fmt.Sprintf("Rate-limited: 429s were over %.0f%% of the calls in step %s, so those steps measured the keys' limits, not capacity: use keys with higher limits or more --api-key.",
			100*capacity.MaxRateLimitedShare, strings.Join(limited, ", ")))
	}
	if res.Stop == capacity.StopNotJudged && best != nil {
		s := last()
		lines = append(lines, fmt.Sprintf("Not judged: step %d (%s) sent no call after its %s warm-up: raise --step-duration.",
			s.Index, s.Rate, s.Warmup))
	}
	if res.Stop == capacity.StopInterrupted {
		lines = append(lines, "Interrupted: the figures above are what was measured before the stop.")
	}
	lines = append(lines, fmt.Sprintf("Spent %d calls and %d tokens over %d steps in %s.", res.Calls, res.Tokens, len(res.Steps),
		res.Finished.Sub(res.Started).Round(100*time.Millisecond)))
	return lines
}

// CapacityStepLine is a step's one-line progress report.
func CapacityStepLine(s *capacity.Step) string {
	line := fmt.Sprintf("step %d: %s for %s: served %s, p95 %s, %s success", s.Index, s.Rate, s.Duration, loadRate(s.Achieved),
		loadDur(s.Measured.SuccessLatencies.P95), loadPct(s.Measured.SuccessRatio()))
	if s.RateLimited > 0 {
		line += fmt.Sprintf(", %.0f%% 429s", 100*s.RateLimitedShare())
	}
	switch {
	case s.Met:
		return line + ": SLO met"
	case !s.Judged:
		return line + ": not judged (" + strings.Join(s.Reasons, "; ") + ")"
	}
	return line + ": missed (" + strings.Join(s.Reasons, "; ") + ")"
}

func capacityPct(ratio float64) string { return strconv.FormatFloat(ratio*100, 'f', -1, 64) + "%" }

// shortDur is a latency to 3 significant digits (104ms, 1.32s), so that the
// steps table keeps its eleven columns within the report width.
func shortDur(d time.Duration) string {
	for _, unit := range []time.Duration{time.Hour, time.Minute, time.Second, time.Millisecond, time.Microsecond} {
		if d >= 100*unit {
			return d.Round(unit).String()
		}
		if d >= 10*unit {
			return d.Round(unit / 10).String()
		}
		if d >= unit {
			return d.Round(unit / 100).String()
		}
	}
	return d.String()
}
