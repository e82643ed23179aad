package reports

import (
	"encoding/json"
	"io"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load/capacity"
)

// SchemaCapacity names the capacity JSON document's schema; bump it on any
// breaking change.
const SchemaCapacity = "carpathian-conform/capacity/v1"

// CapacityJSON is the --json document of a capacity search: the search's
// settings, every step (in the order run) and the answer. Rates are per
// second, durations in ns, shares ratios, as in the load summary.
type CapacityJSON struct {
	Schema      string             `json:"schema"`
	ToolVersion string             `json:"tool_version"`
	Target      string             `json:"target"`
	Method      string             `json:"method"`
	SLO         string             `json:"slo"`
	StartRate   float64            `json:"start_rate"`
	MaxRate     float64            `json:"max_rate"`
	Precision   float64            `json:"precision"`
	StepLength  time.Duration      `json:"step_duration"`
	Warmup      time.Duration      `json:"warmup"`
	Started     time.Time          `json:"started"`
	Finished    time.Time          `json:"finished"`
	Steps       []capacityJSONStep `json:"steps"`
	Answer      capacityJSONAnswer `json:"answer"`
	Knee        capacityJSONKnee   `json:"knee"`
	Calls       uint64             `json:"calls"`
	Tokens      int64              `json:"tokens"`
	ExitCode    int                `json:"exit_code"`
}

type capacityJSONStep struct {
	Index        int                 `json:"index"`
	TargetRate   float64             `json:"target_rate"`
	Achieved     float64             `json:"achieved_rate"`
	Window       time.Duration       `json:"achieved_window"`
	Requests     uint64              `json:"requests"` // after the warm-up, 429s left out
	Successes    uint64              `json:"successes"`
	Failures     uint64              `json:"failures"`
	Success      float64             `json:"success"`
	RateLimited  uint64              `json:"rate_limited"`
	LimitedShare float64             `json:"rate_limited_share"`
	RateLimitDom bool                `json:"rate_limit_dominated"`
	Latencies    LoadJSONLatencies   `json:"latencies"` // of successes
	TokensPerSec float64             `json:"tokens_per_s"`
	Calls        uint64              `json:"calls"` // the whole step
	Slots        uint64              `json:"slots"`
	Missed       uint64              `json:"missed_slots"`
	Tokens       int64               `json:"tokens"`
	SLO          []loadJSONThreshold `json:"slo"`
	Judged       bool                `json:"judged"` // false: interrupted, or no call after the warm-up
	Met          bool                `json:"slo_met"`
	Reasons      []string            `json:"reasons"`
	Interrupted  bool                `json:"interrupted"`
}

type capacityJSONAnswer struct {
	// Rate is the maximum sustainable rate, offered (0: none), ServedRate
	// what that step served, Step the step that proved it (0: none).
	Rate        float64 `json:"rate"`
	ServedRate  float64 `json:"served_rate"`
	Step        int     `json:"step"`
	CeilingRate float64 `json:"ceiling_rate"` // the lowest rate that missed (0: none)
	CeilingStep int     `json:"ceiling_step"`
	Stop        string  `json:"stop"`
	RateLimited bool    `json:"rate_limited"`
}

type capacityJSONKnee struct {
	Rule         string        `json:"rule"`
	Found        bool          `json:"found"`
	Rate         float64       `json:"rate"`
	Below        float64       `json:"below"`
	P50          time.Duration `json:"p50"`
	Baseline     time.Duration `json:"baseline_p50"`
	BaselineRate float64       `json:"baseline_rate"`
}

// NewCapacityJSON builds the document of a search against targetURL.
func NewCapacityJSON(res *capacity.Result, method, targetURL, toolVersion string, exitCode int) *CapacityJSON {
	c := res.Config
	doc := &CapacityJSON{Schema: SchemaCapacity, ToolVersion: toolVersion, Target: targetURL, Method: method,
		SLO: c.SLO.String(), StartRate: float64(c.Start), MaxRate: float64(c.Max), Precision: c.Precision,
		StepLength: c.StepDuration, Warmup: c.Warmup, Started: res.Started, Finished: res.Finished,
		Steps: []capacityJSONStep{}, Calls: res.Calls, Tokens: res.Tokens, ExitCode: exitCode,
		Answer: capacityJSONAnswer{Stop: string(res.Stop), RateLimited: res.RateLimited()},
		Knee: capacityJSONKnee{Rule: capacity.KneeRule, Found: res.Knee.Found, Rate: float64(res.Knee.Rate),
			Below: float64(res.Knee.Below), P50: res.Knee.P50, Baseline: res.Knee.Baseline, BaselineRate: float64(res.Knee.BaselineRate)},
	}
	if res.Best != nil {
		doc.Answer.Rate, doc.Answer.ServedRate, doc.Answer.Step = float64(res.Best.Rate), res.Best.Achieved, res.Best.Index
	}
	if res.Ceiling != nil {
		doc.Answer.CeilingRate, doc.Answer.CeilingStep = float64(res.Ceiling.Rate), res.Ceiling.Index
	}
	for _, s := range res.Steps {
		m := &s.Measured
		st := capacityJSONStep{Index: s.Index, TargetRate: float64(s.Rate), Achieved: s.Achieved, Window: s.AchievedWindow,
			Requests: m.Requests, Successes: m.Successes, Failures: m.Failures, Success: m.SuccessRatio(),
			RateLimited: s.RateLimited, LimitedShare: s.RateLimitedShare(), RateLimitDom: s.RateLimitDominated(),
			Latencies: loadJSONLatencies(m.SuccessLatencies), TokensPerSec: s.TokensPerSecond(),
			Calls: s.Calls, Slots: s.Slots, Missed: s.Missed, Tokens: s.Tokens,
			SLO: []loadJSONThreshold{}, Judged: s.Judged, Met: s.Met, Reasons: append([]string{}, s.Reasons...), Interrupted: s.Interrupted}
		for _, t := range s.SLO {
			st.SLO = append(st.SLO, loadJSONThreshold{t.Expr, t.Metric, t.Observed, t.NoData, t.Pass})
		}
		doc.Steps = append(doc.Steps, st)
	}
	return doc
}

// WriteCapacityJSONFile writes the document to path, indented, with WriteFile.
func WriteCapacityJSONFile(path string, stdout io.Writer, doc *CapacityJSON) error {
	return WriteFile(path, stdout, "JSON report", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	})
}
