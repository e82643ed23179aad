package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
)

// LoadRun is a finished load run with what the command decided about it:
// what the table, JSON and progress renderers take.
type LoadRun struct {
	Result     *load.Result
	Thresholds []load.ThresholdResult
	ExitCode   int
}

// WriteLoadPlan states, before anything is sent, what a run will send and
// may spend.
func WriteLoadPlan(w io.Writer, p *load.Plan) error {
	e := p.Estimate()
	calls := "about " + strconv.FormatInt(e.Calls, 10)
	if !e.CallsBounded {
		calls = "unbounded (a closed loop: it runs for the duration)"
	} else if p.Profile.InFlight() > 0 {
		calls = "at most " + strconv.FormatInt(e.Calls, 10) + " (a closed loop stops at --max-calls)"
	}
	tokens := "none (models calls)"
	if !p.IsModels() {
		switch {
		case !e.TokensBounded:
			tokens = "unbounded: a body sets no max_tokens"
		case !e.CallsBounded:
			tokens = fmt.Sprintf("%d per call, unbounded in all", e.TokensPerCall)
		default:
			tokens = fmt.Sprintf("at most %d (%d per call)", e.Tokens, e.TokensPerCall)
		}
	}
	keys := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		keys[i] = target.Redact(k)
	}
	rows := [][]string{
		{"target", p.Method() + " " + p.Root.URL(p.Path)},
		{"profile", p.Profile.String()},
		{"duration", p.Profile.Duration().String()},
		{"calls", calls},
		{"worst-case tokens", tokens},
		{"keys", strings.Join(keys, ", ")},
		{"timeout per call", p.Timeout.String()},
	}
	return Table(w, "Load plan", []string{"plan", "value"}, rows, nil)
}

var loadRight2 = []tw.Align{tw.AlignLeft, tw.AlignRight}

// WriteLoadTables renders a run for people: summary, latency percentiles by
// outcome, status codes and error classes, tokens, conformance under load,
// keys and thresholds.
func WriteLoadTables(w io.Writer, run *LoadRun) error {
	s := &run.Result.Summary
	steps := []func() error{
		func() error { return Table(w, "Summary", []string{"figure", "value"}, loadSummaryRows(s), loadRight2) },
		func() error { return loadLatencyTable(w, s) },
		func() error { return loadStatusTable(w, s) },
	}
	if s.Chat {
		steps = append(steps, func() error { return loadTokenTable(w, s) })
	}
	if s.Conformance.Checked {
		steps = append(steps, func() error { return loadConformanceTable(w, s) })
	}
	if len(s.Keys) > 1 {
		steps = append(steps, func() error { return loadKeyTable(w, s) })
	}
	if len(run.Thresholds) > 0 {
		steps = append(steps, func() error { return loadThresholdTable(w, run.Thresholds) })
	}
	for i, f := range steps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func loadSummaryRows(s *load.Summary) [][]string {
	rows := [][]string{
		{"profile", s.Profile},
		{"elapsed", s.Elapsed.Round(time.Millisecond).String()},
		{"requests", loadCount(s.Requests)},
		{"offered rate", loadRate(s.OfferedRate)},
		{"achieved rate", loadRate(s.Rate)},
		{"throughput (successes/s)", loadRate(s.Throughput)},
		{"success", loadPct(s.Success)},
		{"rate limited (429)", loadCount(s.RateLimited)},
		{"failures", loadCount(s.Failures)},
		{"missed slots", loadCount(s.Missed)},
		{"late sends", loadCount(s.Late)},
	}
	if s.Chat {
		rows = append(rows, []string{"tokens spent", strconv.FormatInt(s.Tokens.Total, 10)})
	}
	if s.Abandoned > 0 {
		rows = append(rows, []string{"abandoned in flight", loadCount(s.Abandoned)})
	}
	switch {
	case s.Aborted != "":
		rows = append(rows, []string{"stopped", "aborted: " + s.Aborted})
	case s.Interrupted:
		rows = append(rows, []string{"stopped", "interrupted"})
	}
	return rows
}

func loadLatencyTable(w io.Writer, s *load.Summary) error {
	header, rows := loadLatencyRows(s)
	return Table(w, "Latency (HDR histogram, ±0.1%; min, mean, max exact)", header, rows, loadRightFrom(1, len(header)))
}

// loadLatencyRows is the latency table by outcome, for every renderer.
func loadLatencyRows(s *load.Summary) (header []string, rows [][]string) {
	// p90 is in the JSON; the table keeps to 100 columns with p99.9.
	header = []string{"latency", "count", "min", "mean", "p50", "p95", "p99", "p99.9", "max"}
	row := func(name string, l load.Latencies) []string {
		if l.Count == 0 {
			return []string{name, "0", "-", "-", "-", "-", "-", "-", "-"}
		}
		return []string{name, loadCount(l.Count), loadDur(l.Min), loadDur(l.Mean), loadDur(l.P50), loadDur(l.P95), loadDur(l.P99), loadDur(l.P999), loadDur(l.Max)}
	}
	return header, [][]string{
		row("successes", s.SuccessLatencies),
		row("429s", s.RateLimitedLatencies),
		row("failures", s.FailureLatencies),
		row("all", s.Latencies),
	}
}

func loadStatusTable(w io.Writer, s *load.Summary) error {
	if err := Table(w, "Status codes and error classes", []string{"outcome", "count"}, loadStatusRows(s), loadRight2); err != nil {
		return err
	}
	if len(s.Errors) == 0 {
		return nil
	}
	var msgs [][]string
	for i, e := range s.Errors {
		if i == 5 {
			msgs = append(msgs, []string{fmt.Sprintf("… %d more in the JSON summary", len(s.Errors)-5)})
			break
		}
		msgs = append(msgs, []string{e})
	}
	fmt.Fprintln(w)
	return Table(w, "Distinct errors", []string{"message"}, msgs, nil)
}

// loadStatusRows counts each status code and error class.
func loadStatusRows(s *load.Summary) [][]string {
	var rows [][]string
	for _, code := range load.SortedKeys(s.StatusCodes) {
		rows = append(rows, []string{"status " + loadStatusName(code), loadCount(s.StatusCodes[code])})
	}
	for _, class := range load.SortedKeys(s.ErrorClasses) {
		rows = append(rows, []string{"error: " + class, loadCount(s.ErrorClasses[class])})
	}
	return rows
}

func loadStatusName(code int) string {
	if code == 0 {
		return "0 (no answer)"
	}
	return strconv.Itoa(code)
}

func loadTokenTable(w io.Writer, s *load.Summary) error {
	header, rows := loadTokenRows(s)
	if err := Table(w, "Tokens", header, rows, loadRightFrom(1, len(header))); err != nil {
		return err
	}
	var reasons [][]string
	for _, r := range load.SortedKeys(s.FinishReasons) {
		reasons = append(reasons, []string{r, loadCount(s.FinishReasons[r])})
	}
	if len(reasons) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return Table(w, "Finish reasons", []string{"finish_reason", "count"}, reasons, loadRight2)
}

// loadTokenRows is the tokens table: per-call distributions, requested
// against served lengths, totals.
func loadTokenRows(s *load.Summary) (header []string, rows [][]string) {
	t := s.Tokens
	header = []string{"tokens", "sum", "min", "mean", "p50", "p95", "p99", "p99.9", "max"}
	dist := func(name string, sum string, st load.Stats, f func(int64) string) []string {
		if st.Count == 0 {
			return []string{name, sum, "-", "-", "-", "-", "-", "-", "-"}
		}
		return []string{name, sum, f(st.Min), strconv.FormatFloat(st.Mean, 'f', 1, 64), f(st.P50), f(st.P95), f(st.P99), f(st.P999), f(st.Max)}
	}
	count := func(v int64) string { return strconv.FormatInt(v, 10) }
	ms := func(us int64) string { return strconv.FormatFloat(float64(us)/1000, 'f', 2, 64) }
	perTok := dist("ms per output token", "", t.PerOutputToken, ms)
	if t.PerOutputToken.Count > 0 {
		perTok[3] = strconv.FormatFloat(t.PerOutputToken.Mean/1000, 'f', 2, 64)
	}
	rows = [][]string{dist("prompt per call", count(t.Prompt), t.PromptPerCall, count)}
	if t.RequestedPromptPerCall.Count > 0 {
		rows = append(rows, dist("  requested prompt", "", t.RequestedPromptPerCall, count))
	}
	rows = append(rows, dist("completion per call", count(t.Completion), t.CompletionPerCall, count))
	if t.RequestedMaxPerCall.Count > 0 {
		rows = append(rows, dist("  requested max_tokens", "", t.RequestedMaxPerCall, count))
	}
	rows = append(rows, [][]string{
		perTok,
		{"total", count(t.Total), "", "", "", "", "", "", ""},
		{"output tokens/s", strconv.FormatFloat(t.OutputPerSecond, 'f', 1, 64), "", "", "", "", "", "", ""},
	}...)
	return header, rows
}

func loadConformanceTable(w io.Writer, s *load.Summary) error {
	return Table(w, "Conformance under load (CHAT clauses, sampled)", []string{"figure", "value"}, loadConformanceRows(s), nil)
}

// loadConformanceRows is what the sampled reply checks found.
func loadConformanceRows(s *load.Summary) [][]string {
	c := s.Conformance
	rows := [][]string{
		{"replies checked", fmt.Sprintf("%d (1 in %d successes)", c.Sampled, c.Every)},
		{"replies violating", loadCount(c.Violating)},
	}
	for _, clause := range load.SortedKeys(c.ByClause) {
		rows = append(rows, []string{"  " + clause, loadCount(c.ByClause[clause])})
	}
	for _, v := range c.Examples {
		rows = append(rows, []string{"e.g. " + v.Clause, v.Detail})
	}
	return rows
}

var loadKeyHeader = []string{"key", "requests", "successes", "429s"}

func loadKeyTable(w io.Writer, s *load.Summary) error {
	return Table(w, "Keys", loadKeyHeader, loadKeyRows(s), loadRightFrom(1, 4))
}

func loadKeyRows(s *load.Summary) [][]string {
	var rows [][]string
	for _, k := range s.Keys {
		rows = append(rows, []string{k.Key, loadCount(k.Requests), loadCount(k.Successes), loadCount(k.RateLimited)})
	}
	return rows
}

var loadThresholdHeader = []string{"threshold", "observed", "verdict"}

func loadThresholdTable(w io.Writer, ts []load.ThresholdResult) error {
	return Table(w, "Thresholds", loadThresholdHeader, loadThresholdRows(ts), nil)
}

func loadThresholdRows(ts []load.ThresholdResult) [][]string {
	var rows [][]string
	for _, t := range ts {
		verdict := "PASS"
		if !t.Pass {
			verdict = "FAIL"
		}
		rows = append(rows, []string{t.Expr, t.ObservedString(), verdict})
	}
	return rows
}

// LoadProgressLine is the live status line: elapsed/total, rate, success,
// p95 so far, tokens, missed slots.
func LoadProgressLine(p load.Progress) string {
	line := fmt.Sprintf("%s/%s  %d calls  %s  %s ok  p95 %s",
		p.Elapsed.Round(time.Second), p.Total, p.Requests, loadRate(p.Rate), loadPct(p.SuccessRatio), loadDur(p.P95))
	if p.Tokens > 0 {
		line += fmt.Sprintf("  %d tokens", p.Tokens)
	}
	if p.Missed > 0 {
		line += fmt.Sprintf("  %d missed", p.Missed)
	}
	return line
}

func loadRightFrom(first, n int) []tw.Align {
	a := make([]tw.Align, n)
	for i := range a {
		a[i] = tw.AlignLeft
		if i >= first {
			a[i] = tw.AlignRight
		}
	}
	return a
}

func loadCount(v uint64) string      { return strconv.FormatUint(v, 10) }
func loadDur(v time.Duration) string { return load.FormatDuration(v) }
func loadRate(v float64) string      { return strconv.FormatFloat(v, 'f', 2, 64) + "/s" }
func loadPct(ratio float64) string   { return strconv.FormatFloat(ratio*100, 'f', 2, 64) + "%" }
