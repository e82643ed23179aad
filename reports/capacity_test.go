package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/load/capacity"
)

// capacityResult is a finished search: three steps met, one missed on
// latency, one dominated by 429s.
func capacityResult(t *testing.T, stop capacity.Stop) *capacity.Result {
	t.Helper()
	slo, err := capacity.ParseSLO("p95<1s,success>=99%")
	if err != nil {
		t.Fatal(err)
	}
	step := func(i int, rate load.Rate, p50 time.Duration, met bool, reasons ...string) *capacity.Step {
		return &capacity.Step{Index: i, Rate: rate, Duration: 10 * time.Second, Achieved: float64(rate) * 0.99, Judged: true, Met: met, Reasons: reasons,
			Measured: load.Summary{Requests: 100, Successes: 100, Chat: true,
				Tokens:           load.Tokens{CompletionPerCall: load.Stats{Count: 100, Mean: 6}},
				SuccessLatencies: load.Latencies{Count: 100, P50: p50, P95: 2 * p50, P99: 3 * p50}}}
	}
	limited := step(5, 48, 100*time.Millisecond, false, "rate-limited: 40% of calls answered 429")
	limited.RateLimited = 70
	steps := []*capacity.Step{step(1, 10, 100*time.Millisecond, true), step(2, 20, 110*time.Millisecond, true),
		step(3, 40, 120*time.Millisecond, true), step(4, 80, 600*time.Millisecond, false, "p95<1s: observed 1.2s"), limited}
	res := &capacity.Result{Config: capacity.Config{Start: 10, Max: 100, Precision: 0.05, StepDuration: 10 * time.Second, Warmup: 2 * time.Second, SLO: slo},
		Steps: steps, Best: steps[2], Ceiling: limited, Stop: stop, Calls: 1980, Tokens: 11880,
		Started: time.Unix(1700000000, 0), Finished: time.Unix(1700000060, 0)}
	res.Knee = capacity.FindKnee(steps)
	return res
}

func TestWriteCapacity(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCapacity(&b, capacityResult(t, capacity.StopPrecision)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Maximum sustainable rate: 40/s", "step 3", "48/s missed it (step 5)",
		"Knee: latency begins to climb at 80/s", capacity.KneeRule,
		"Rate-limited: 429s were over 20%", "step 5 (48/s, 41% 429s)", "more --api-key",
		"step 4 (80/s): p95<1s: observed 1.2s", "no: 429s", "Spent 1980 calls and 11880 tokens over 5 steps in 1m0s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Rows in rate order: 48/s (step 5) before 80/s (step 4).
	if strings.Index(out, "48.00") > strings.Index(out, "80.00") {
		t.Errorf("steps not in rate order:\n%s", out)
	}
	if !strings.Contains(out, "Steps that missed or were not judged") {
		t.Errorf("report lacks the steps that missed:\n%s", out)
	}
	checkWidth(t, out)
}

// The plan states the served rule word for word (the cell wraps it).
func TestWriteCapacityPlanStatesTheRules(t *testing.T) {
	res := capacityResult(t, capacity.StopPrecision)
	var b bytes.Buffer
	p := &load.Plan{Path: "/chat/completions", Timeout: time.Minute}
	if err := WriteCapacityPlan(&b, p, &res.Config, capacity.Estimate{Steps: 3, Calls: 10}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var cells []string
	for _, line := range strings.Split(out, "\n") {
		if parts := strings.Split(line, "│"); len(parts) == 4 {
			cells = append(cells, strings.TrimSpace(parts[2]))
		}
	}
	if joined := strings.Join(cells, " "); !strings.Contains(joined, capacity.ServedRule) || !strings.Contains(joined, "80 calls measured") {
		t.Errorf("plan lacks the served rule %q or the measured calls:\n%s", capacity.ServedRule, out)
	}
	checkWidth(t, out)
}

// The answer names the offered rate and what that step served, and claims
// the served figure when it is lower by more than the precision.
func TestCapacityAnswerNeverClaimsMoreThanServed(t *testing.T) {
	res := capacityResult(t, capacity.StopPrecision)
	first := strings.Join(CapacityAnswer(res), "\n")
	if !strings.Contains(first, "Maximum sustainable rate: 40/s, meeting") || !strings.Contains(first, "40/s offered, 39.60/s served") {
		t.Errorf("served within the precision: %s", first)
	}
	res.Best.Achieved = 37.9 // 5.25% under the 40/s offered, the precision 5%
	if lines := strings.Join(CapacityAnswer(res), "\n"); !strings.Contains(lines, "Maximum sustainable rate: 37.90/s served, meeting") ||
		!strings.Contains(lines, "40/s offered, 37.90/s served") {
		t.Errorf("served under the precision: %s", lines)
	}
	res.Best.Achieved = 38.1 // 4.75% under
	if lines := strings.Join(CapacityAnswer(res), "\n"); !strings.Contains(lines, "Maximum sustainable rate: 40/s, meeting") {
		t.Errorf("served within the precision: %s", lines)
	}
}

// A step with nothing after its warm-up is reported as not judged, never as
// a miss.
func TestCapacityNotJudged(t *testing.T) {
	res := capacityResult(t, capacity.StopNotJudged)
	empty := res.Steps[0]
	empty.Judged, empty.Met, empty.Reasons = false, false, []string{"no call was sent after the warm-up"}
	res.Steps, res.Best, res.Ceiling = res.Steps[:1], nil, nil
	var b bytes.Buffer
	if err := WriteCapacity(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"not judged", "No answer: step 1 (10/s) sent no call after its 0s warm-up, so it was not judged",
		"raise --step-duration or --start-rate"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "No sustainable rate") || strings.Contains(out, "missed the SLO") {
		t.Errorf("a step not judged read as a miss:\n%s", out)
	}
	if line := CapacityStepLine(empty); !strings.Contains(line, ": not judged (") {
		t.Errorf("step line %q", line)
	}
}

func TestCapacityAnswerByStop(t *testing.T) {
	for stop, want := range map[capacity.Stop]string{
		capacity.StopMaxRate:     "at least 40/s, at the --max-rate",
		capacity.StopInterrupted: "Best so far (the search stopped: interrupted): 40/s",
		capacity.StopCostCap:     "Best so far (the search stopped: the next step could exceed the cost caps)",
	} {
		lines := strings.Join(CapacityAnswer(capacityResult(t, stop)), "\n")
		if !strings.Contains(lines, want) {
			t.Errorf("%s: %s", stop, lines)
		}
	}
	res := capacityResult(t, capacity.StopLowestMissed)
	res.Best, res.Steps[0].Met, res.Steps[0].Reasons = nil, false, []string{"p95<1s: observed 2s"}
	if lines := strings.Join(CapacityAnswer(res), "\n"); !strings.Contains(lines, "even the lowest, 10/s, missed the SLO p95<1s,success>=99% (step 1: p95<1s: observed 2s)") {
		t.Errorf("lowest missed: %s", lines)
	}
}

func TestCapacityJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capacity.json")
	res := capacityResult(t, capacity.StopPrecision)
	if err := WriteCapacityJSONFile(path, io.Discard, NewCapacityJSON(res, "POST", "http://127.0.0.1:1/ai/v1/chat/completions", "test", 0)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc CapacityJSON
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != SchemaCapacity || len(doc.Steps) != 5 || doc.Answer.Rate != 40 || doc.Answer.Step != 3 ||
		doc.Answer.CeilingRate != 48 || !doc.Answer.RateLimited || !doc.Knee.Found || doc.Knee.Rate != 80 {
		t.Errorf("document %+v", doc)
	}
	s := doc.Steps[4]
	if !s.RateLimitDom || s.RateLimited != 70 || s.Met || len(s.Reasons) != 1 || s.TokensPerSec != 48*0.99*6 {
		t.Errorf("step 5: %+v", s)
	}
}

func TestShortDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		104270 * time.Microsecond: "104ms", 13225 * time.Microsecond: "13.2ms", 1322500 * time.Microsecond: "1.32s",
		750 * time.Microsecond: "750µs", 90 * time.Second: "1m30s", 0: "0s",
	} {
		if got := shortDur(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}
