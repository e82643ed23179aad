package compare

import (
	"fmt"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// Unit is how a load figure is measured, shown and limited.
type Unit string

const (
	UnitDuration Unit = "duration" // ns
	UnitRatio    Unit = "ratio"    // 0..1, shown in %, its change in percentage points
	UnitRate     Unit = "rate"     // per second
)

// Metric is one load figure of both runs.
type Metric struct {
	Name   string  `json:"name"` // as --max-regression names it: p99, success, …
	Unit   Unit    `json:"unit"`
	Old    float64 `json:"old"`
	New    float64 `json:"new"`
	HasOld bool    `json:"has_old"` // the figure exists in the run (a p99 needs a success)
	HasNew bool    `json:"has_new"`
	// Limit is the --max-regression limit on it, if any; Breached tells
	// whether the newer run went past it, and Verdict says how.
	Limit    string `json:"limit,omitempty"`
	Breached bool   `json:"breached"`
	Verdict  string `json:"verdict,omitempty"`
}

// Delta is new minus old, in the metric's unit.
func (m Metric) Delta() float64 { return m.New - m.Old }

// Relative is the change as a fraction of old (0 when old is 0).
func (m Metric) Relative() float64 {
	if m.Old == 0 {
		return 0
	}
	return (m.New - m.Old) / m.Old
}

// loadMetrics are the figures compared, in order; worseUp tells which way is
// worse.
var loadMetrics = []struct {
	name    string
	unit    Unit
	worseUp bool
	read    func(*LoadReport) (float64, bool)
}{
	{"p50", UnitDuration, true, successLatency(func(l latencies) time.Duration { return l.P50 })},
	{"p95", UnitDuration, true, successLatency(func(l latencies) time.Duration { return l.P95 })},
	{"p99", UnitDuration, true, successLatency(func(l latencies) time.Duration { return l.P99 })},
	{"p99.9", UnitDuration, true, successLatency(func(l latencies) time.Duration { return l.P999 })},
	{"success", UnitRatio, false, func(r *LoadReport) (float64, bool) { return r.Success, r.Requests > 0 }},
	{"rate", UnitRate, false, func(r *LoadReport) (float64, bool) { return r.Rate, r.Requests > 0 }},
	{"tokens_per_s", UnitRate, false, func(r *LoadReport) (float64, bool) {
		if r.Tokens == nil {
			return 0, false
		}
		return r.Tokens.OutputPerSecond, r.Tokens.WithUsage > 0
	}},
}

// latencies is a latency summary of the load report (ns).
type latencies struct {
	Count uint64        `json:"count"`
	P50   time.Duration `json:"50th"`
	P95   time.Duration `json:"95th"`
	P99   time.Duration `json:"99th"`
	P999  time.Duration `json:"99.9th"`
}

// successLatency reads a percentile of the successes' latencies, as load's
// thresholds do.
func successLatency(f func(latencies) time.Duration) func(*LoadReport) (float64, bool) {
	return func(r *LoadReport) (float64, bool) {
		l, ok := r.ByOutcome["success"]
		return float64(f(l)), ok && l.Count > 0
	}
}

// LoadDiff is two load runs side by side.
type LoadDiff struct {
	Old, New Run
	Metrics  []Metric `json:"metrics"`
}

// Breaches lists the metrics past their limit.
func (d *LoadDiff) Breaches() []Metric {
	var out []Metric
	for _, m := range d.Metrics {
		if m.Breached {
			out = append(out, m)
		}
	}
	return out
}

// ExitCode is 4 when a --max-regression limit was exceeded, else 0.
func (d *LoadDiff) ExitCode() int {
	if len(d.Breaches()) > 0 {
		return results.ExitThreshold
	}
	return results.ExitOK
}

// Load compares two load runs and judges the newer against limits.
func Load(old, new *Report, limits Limits) *LoadDiff {
	d := &LoadDiff{Old: loadRun(old), New: loadRun(new)}
	for _, lm := range loadMetrics {
		m := Metric{Name: lm.name, Unit: lm.unit}
		m.Old, m.HasOld = lm.read(old.Load)
		m.New, m.HasNew = lm.read(new.Load)
		if l, ok := limits[lm.name]; ok {
			m.Limit = l.Expr
			m.Breached, m.Verdict = l.judge(m)
		}
		d.Metrics = append(d.Metrics, m)
	}
	return d
}

func loadRun(r *Report) Run {
	l := r.Load
	return Run{Name: r.Name, Target: l.Target, ToolVersion: l.ToolVersion, Started: l.Started,
		Summary: fmt.Sprintf("%d calls, %s", l.Requests, strings.TrimSpace(l.Profile))}
}
