package reports

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// SchemaLoad names the load JSON summary's schema; bump it on any breaking
// change.
const SchemaLoad = load.ReportSchema

// LoadJSON is the --json summary of a load run. Its first fields are exactly
// vegeta's `report -type=json` document (same keys, same units: durations in
// ns, success a ratio), so tools reading vegeta's reports read it; the rest
// are carpathian-conform's.
type LoadJSON struct {
	// vegeta's report -type=json.
	Latencies   LoadJSONLatencies `json:"latencies"`
	BytesIn     loadJSONBytes     `json:"bytes_in"`
	BytesOut    loadJSONBytes     `json:"bytes_out"`
	Earliest    time.Time         `json:"earliest"`
	Latest      time.Time         `json:"latest"`
	End         time.Time         `json:"end"`
	Duration    time.Duration     `json:"duration"`
	Wait        time.Duration     `json:"wait"`
	Requests    uint64            `json:"requests"`
	Rate        float64           `json:"rate"`
	Throughput  float64           `json:"throughput"`
	Success     float64           `json:"success"`
	StatusCodes map[string]uint64 `json:"status_codes"`
	Errors      []string          `json:"errors"`

	// Ours.
	Schema             string                       `json:"schema"`
	ToolVersion        string                       `json:"tool_version"`
	Target             string                       `json:"target"`
	Method             string                       `json:"method"`
	Profile            string                       `json:"profile"`
	Started            time.Time                    `json:"started"`
	Elapsed            time.Duration                `json:"elapsed"`
	OfferedRate        float64                      `json:"offered_rate"`
	Slots              uint64                       `json:"slots"`
	MissedSlots        uint64                       `json:"missed_slots"`
	LateSends          uint64                       `json:"late_sends"`
	Successes          uint64                       `json:"successes"`
	RateLimited        uint64                       `json:"rate_limited"`
	Failures           uint64                       `json:"failures"`
	LatenciesByOutcome map[string]LoadJSONLatencies `json:"latencies_by_outcome"`
	ErrorClasses       map[string]uint64            `json:"error_classes"`
	Tokens             *loadJSONTokens              `json:"tokens,omitempty"`
	FinishReasons      map[string]uint64            `json:"finish_reasons,omitempty"`
	Keys               []loadJSONKey                `json:"keys"`
	Conformance        *loadJSONConformance         `json:"conformance,omitempty"`
	Thresholds         []loadJSONThreshold          `json:"thresholds"`
	Interrupted        bool                         `json:"interrupted"`
	Aborted            string                       `json:"aborted,omitempty"`
	Abandoned          uint64                       `json:"abandoned"`
	ExitCode           int                          `json:"exit_code"`
}

// LoadJSONLatencies is vegeta's LatencyMetrics layout (ns), plus a count.
type LoadJSONLatencies struct {
	Total time.Duration `json:"total"`
	Mean  time.Duration `json:"mean"`
	P50   time.Duration `json:"50th"`
	P90   time.Duration `json:"90th"`
	P95   time.Duration `json:"95th"`
	P99   time.Duration `json:"99th"`
	P999  time.Duration `json:"99.9th"`
	Max   time.Duration `json:"max"`
	Min   time.Duration `json:"min"`
	Count uint64        `json:"count,omitempty"`
}

type loadJSONBytes struct {
	Total uint64  `json:"total"`
	Mean  float64 `json:"mean"`
}

type loadJSONStats struct {
	Count uint64  `json:"count"`
	Sum   float64 `json:"sum"`
	Mean  float64 `json:"mean"`
	Min   int64   `json:"min"`
	P50   int64   `json:"50th"`
	P90   int64   `json:"90th"`
	P95   int64   `json:"95th"`
	P99   int64   `json:"99th"`
	P999  int64   `json:"99.9th"`
	Max   int64   `json:"max"`
}

type loadJSONTokens struct {
	Prompt            int64         `json:"prompt"`
	Completion        int64         `json:"completion"`
	Total             int64         `json:"total"`
	WithUsage         uint64        `json:"with_usage"`
	OutputPerSecond   float64       `json:"output_per_second"`
	PromptPerCall     loadJSONStats `json:"prompt_per_call"`
	CompletionPerCall loadJSONStats `json:"completion_per_call"`
	// What the served calls asked for (synthetic prompts): prompt lengths
	// and max_tokens.
	RequestedPromptPerCall *loadJSONStats `json:"requested_prompt_per_call,omitempty"`
	RequestedMaxPerCall    *loadJSONStats `json:"requested_max_tokens_per_call,omitempty"`
	// Microseconds per output token, per call.
	PerOutputTokenUS loadJSONStats `json:"us_per_output_token"`
}

type loadJSONKey struct {
	Key         string `json:"key"` // redacted
	Requests    uint64 `json:"requests"`
	Successes   uint64 `json:"successes"`
	RateLimited uint64 `json:"rate_limited"`
}

type loadJSONConformance struct {
	SampleEvery int               `json:"sample_every"`
	Sampled     uint64            `json:"sampled"`
	Violating   uint64            `json:"violating"`
	ByClause    map[string]uint64 `json:"by_clause"`
	Examples    []load.Violation  `json:"examples"`
}

type loadJSONThreshold struct {
	Expr     string  `json:"expr"`
	Metric   string  `json:"metric"`
	Observed float64 `json:"observed"`
	NoData   bool    `json:"no_data"`
	Pass     bool    `json:"pass"`
}

// NewLoadJSON builds the JSON summary of a run.
func NewLoadJSON(run *LoadRun, toolVersion string) *LoadJSON {
	res := run.Result
	s := &res.Summary
	doc := &LoadJSON{
		Latencies: loadJSONLatencies(s.Latencies),
		BytesIn:   loadBytes(s.BytesIn, s.Requests), BytesOut: loadBytes(s.BytesOut, s.Requests),
		Earliest: s.Earliest, Latest: s.Latest, End: s.End, Duration: s.Duration, Wait: s.Wait,
		Requests: s.Requests, Rate: s.Rate, Throughput: s.Throughput, Success: s.Success,
		StatusCodes: map[string]uint64{}, Errors: append([]string{}, s.Errors...),

		Schema: SchemaLoad, ToolVersion: toolVersion,
		Target: res.Plan.Root.URL(res.Plan.Path), Method: res.Plan.Method(), Profile: s.Profile,
		Started: res.Started, Elapsed: s.Elapsed,
		OfferedRate: s.OfferedRate, Slots: s.Slots, MissedSlots: s.Missed, LateSends: s.Late,
		Successes: s.Successes, RateLimited: s.RateLimited, Failures: s.Failures,
		LatenciesByOutcome: map[string]LoadJSONLatencies{
			load.Success.String():     loadJSONLatencies(s.SuccessLatencies),
			load.RateLimited.String(): loadJSONLatencies(s.RateLimitedLatencies),
			load.Failure.String():     loadJSONLatencies(s.FailureLatencies),
		},
		ErrorClasses: s.ErrorClasses,
		Keys:         []loadJSONKey{},
		Thresholds:   []loadJSONThreshold{},
		Interrupted:  s.Interrupted, Aborted: s.Aborted, Abandoned: s.Abandoned,
		ExitCode: run.ExitCode,
	}
	for code, n := range s.StatusCodes {
		doc.StatusCodes[strconv.Itoa(code)] = n
	}
	if s.Chat {
		t := s.Tokens
		doc.Tokens = &loadJSONTokens{
			Prompt: t.Prompt, Completion: t.Completion, Total: t.Total,
			WithUsage: t.WithUsage, OutputPerSecond: t.OutputPerSecond,
			PromptPerCall: loadStats(t.PromptPerCall), CompletionPerCall: loadStats(t.CompletionPerCall),
			PerOutputTokenUS: loadStats(t.PerOutputToken),
		}
		if t.RequestedPromptPerCall.Count > 0 {
			st := loadStats(t.RequestedPromptPerCall)
			doc.Tokens.RequestedPromptPerCall = &st
		}
		if t.RequestedMaxPerCall.Count > 0 {
			st := loadStats(t.RequestedMaxPerCall)
			doc.Tokens.RequestedMaxPerCall = &st
		}
		doc.FinishReasons = s.FinishReasons
	}
	for _, k := range s.Keys {
		doc.Keys = append(doc.Keys, loadJSONKey{k.Key, k.Requests, k.Successes, k.RateLimited})
	}
	if c := s.Conformance; c.Checked {
		doc.Conformance = &loadJSONConformance{SampleEvery: c.Every, Sampled: c.Sampled, Violating: c.Violating,
			ByClause: c.ByClause, Examples: append([]load.Violation{}, c.Examples...)}
	}
	for _, t := range run.Thresholds {
		doc.Thresholds = append(doc.Thresholds, loadJSONThreshold{t.Expr, t.Metric, t.Observed, t.NoData, t.Pass})
	}
	return doc
}

// WriteLoadJSON writes the summary, indented.
func WriteLoadJSON(w io.Writer, doc *LoadJSON) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteLoadJSONFile writes the summary to path with WriteFile.
func WriteLoadJSONFile(path string, stdout io.Writer, doc *LoadJSON) error {
	return WriteFile(path, stdout, "JSON report", func(w io.Writer) error { return WriteLoadJSON(w, doc) })
}

func loadJSONLatencies(l load.Latencies) LoadJSONLatencies {
	return LoadJSONLatencies{Total: l.Total, Mean: l.Mean, P50: l.P50, P90: l.P90, P95: l.P95, P99: l.P99, P999: l.P999, Max: l.Max, Min: l.Min, Count: l.Count}
}

func loadBytes(total, requests uint64) loadJSONBytes {
	b := loadJSONBytes{Total: total}
	if requests > 0 {
		b.Mean = float64(total) / float64(requests)
	}
	return b
}

func loadStats(s load.Stats) loadJSONStats {
	return loadJSONStats{Count: s.Count, Sum: s.Sum, Mean: s.Mean, Min: s.Min, P50: s.P50, P90: s.P90, P95: s.P95, P99: s.P99, P999: s.P999, Max: s.Max}
}
