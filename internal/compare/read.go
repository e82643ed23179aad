// Package compare tells what changed between two runs from their JSON
// reports: for conformance, the specs and clauses that newly fail (the
// regressions), were fixed, appeared or vanished; for load, the latency
// percentiles, success, achieved rate and tokens/s side by side, judged
// against --max-regression limits. It reads reports; reports/ renders what
// it finds.
package compare

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/output"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/load"
)

// Kind is what a report measured.
type Kind string

const (
	KindConformance Kind = "conformance"
	KindLoad        Kind = "load"
)

// Report is one JSON report, read for comparison.
type Report struct {
	Name        string // the path it was read from
	Kind        Kind
	Conformance *results.Conformance // KindConformance
	Load        *LoadReport          // KindLoad
}

// LoadReport is what compare reads of a load JSON report (reports.LoadJSON):
// the figures it compares, by their JSON names.
type LoadReport struct {
	Schema      string               `json:"schema"`
	ToolVersion string               `json:"tool_version"`
	Target      string               `json:"target"`
	Profile     string               `json:"profile"`
	Started     time.Time            `json:"started"`
	Requests    uint64               `json:"requests"`
	Rate        float64              `json:"rate"`
	Success     float64              `json:"success"`
	ByOutcome   map[string]latencies `json:"latencies_by_outcome"`
	Tokens      *struct {
		OutputPerSecond float64 `json:"output_per_second"`
		WithUsage       uint64  `json:"with_usage"`
	} `json:"tokens"`
}

// readable are the schemas compare reads, by kind.
var readable = map[string]Kind{
	results.SchemaConformance:   KindConformance,
	results.SchemaConformanceV1: KindConformance,
	load.ReportSchema:           KindLoad,
}

// Read reads a JSON report from path.
func Read(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, output.Reason(err))
	}
	return Parse(path, data)
}

// Parse reads a JSON report's content; name is where it came from, for errors.
func Parse(name string, data []byte) (*Report, error) {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a JSON report: %v", name, err)
	}
	kind, ok := readable[head.Schema]
	if !ok {
		return nil, fmt.Errorf("%s: %s", name, unreadable(head.Schema))
	}
	r := &Report{Name: name, Kind: kind}
	var err error
	switch kind {
	case KindConformance:
		r.Conformance = &results.Conformance{}
		err = json.Unmarshal(data, r.Conformance)
	case KindLoad:
		r.Load = &LoadReport{}
		err = json.Unmarshal(data, r.Load)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: a %s report that does not read: %v", name, kind, err)
	}
	return r, nil
}

// unreadable says why a schema is not one compare reads.
func unreadable(schema string) string {
	const prefix = "carpathian-conform/"
	if schema == "" {
		return "not a carpathian-conform JSON report (no \"schema\"): give the file a --json flag wrote"
	}
	kind, _, ok := strings.Cut(strings.TrimPrefix(schema, prefix), "/")
	switch {
	case !strings.HasPrefix(schema, prefix) || !ok:
		return fmt.Sprintf("schema %q is not a carpathian-conform report's", schema)
	case kind == string(KindConformance) || kind == string(KindLoad):
		return fmt.Sprintf("schema %s: this version reads %s reports of %s; use the carpathian-conform that wrote it", schema, kind, versionsOf(Kind(kind)))
	}
	return fmt.Sprintf("a %s report: compare reads conformance (check --json) and load (load --json) reports", kind)
}

func versionsOf(k Kind) string {
	var vs []string
	for s, kind := range readable {
		if kind == k {
			vs = append(vs, s[strings.LastIndex(s, "/")+1:])
		}
	}
	slices.Sort(vs)
	return strings.Join(vs, " and ")
}

// Result is a comparison of two reports of one kind.
type Result struct {
	Kind        Kind             `json:"kind"`
	Conformance *ConformanceDiff `json:"conformance,omitempty"`
	Load        *LoadDiff        `json:"load,omitempty"`
}

// ExitCode is 1 on a conformance regression, 4 on a load limit exceeded,
// else 0.
func (r *Result) ExitCode() int {
	if r.Conformance != nil {
		return r.Conformance.ExitCode()
	}
	return r.Load.ExitCode()
}

// Compare compares two reports of the same kind; limits apply to load
// reports only.
func Compare(old, new *Report, limits Limits) (*Result, error) {
	switch {
	case old.Kind != new.Kind:
		return nil, fmt.Errorf("cannot compare a %s report (%s) with a %s report (%s): give two of a kind", old.Kind, old.Name, new.Kind, new.Name)
	case old.Kind == KindConformance && len(limits) > 0:
		return nil, fmt.Errorf("--max-regression limits load figures; a conformance comparison fails on any regression")
	case old.Kind == KindConformance:
		return &Result{Kind: KindConformance, Conformance: Conformance(old, new)}, nil
	}
	return &Result{Kind: KindLoad, Load: Load(old, new, limits)}, nil
}
