package load

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// SchemaRunMeta names the run metadata's schema; bump it on any breaking
// change.
const SchemaRunMeta = "carpathian-conform/results-meta/v1"

// MetaSuffix is appended to a results file's name to name its metadata:
// results-2of8.bin has results-2of8.bin.meta.json beside it. vegeta's
// binary results format has no room for what a results file cannot tell
// (the run, the shard, the slots offered and missed), and a file beside it
// keeps the results file one that `vegeta report` and `vegeta plot` read.
const MetaSuffix = ".meta.json"

// MetaPath is the metadata path of a results file.
func MetaPath(results string) string { return results + MetaSuffix }

// RunMeta is what `report` needs beyond a results file's hits to rebuild the
// run's report exactly: which run and shard it is, what was offered, and the
// figures only the sender knows (missed slots, sampled conformance).
type RunMeta struct {
	Schema string `json:"schema"`
	// RunID is shared by the shards of one run; files of different runs are
	// never merged.
	RunID string `json:"run_id"`
	// Root and Path are the target: Root is the base URL's root (it ends in
	// /ai), Path the endpoint under it.
	Root   string `json:"root"`
	Path   string `json:"path"`
	Method string `json:"method"`
	// Profile is the whole run's profile, not the shard's part.
	Profile         string        `json:"profile"`
	ProfileDuration time.Duration `json:"profile_duration"`
	PlannedCalls    int64         `json:"planned_calls,omitempty"` // the whole profile's (0: a closed loop)
	Shard           ShardJSON     `json:"shard"`
	StartAt         time.Time     `json:"start_at,omitzero"`
	LateBy          time.Duration `json:"late_by"`
	Started         time.Time     `json:"started"`
	Finished        time.Time     `json:"finished"`
	// Keys are the shard's keys, redacted, in the order calls used them:
	// call seq used Keys[seq % len(Keys)].
	Keys []string `json:"keys"`
	Chat bool     `json:"chat"`
	// Bodies and Seed say which body call seq sent (Plan.Call); Requested
	// what each body asked for, when the plan knew it.
	Bodies      int         `json:"bodies"`
	Seed        uint64      `json:"seed"`
	Requested   []Requested `json:"requested,omitempty"`
	Slots       uint64      `json:"slots"`
	Missed      uint64      `json:"missed_slots"`
	Late        uint64      `json:"late_sends"`
	OfferedRate float64     `json:"offered_rate"`
	Interrupted bool        `json:"interrupted"`
	Aborted     string      `json:"aborted,omitempty"`
	Abandoned   uint64      `json:"abandoned"`
	Conformance Conformance `json:"conformance"`
}

// ShardJSON is a Shard as the metadata writes it.
type ShardJSON struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// RunID names a run from what its shards share: the target, the whole
// profile (with its seed), the shard count and the agreed start. Shards
// started with the same flags agree on it without talking to each other.
// Two runs with the same flags and no --start-at share it too: give them
// a --run-id (a Kubernetes Job passes its uid) to keep their files apart.
func RunID(root target.Root, path string, whole Profile, seed uint64, shards int, startAt time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d\n%d\n", root, path, whole, seed, shards)
	if !startAt.IsZero() {
		fmt.Fprintf(h, "%s", startAt.UTC().Format(time.RFC3339Nano))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// NewRunMeta describes a finished run for its results file.
func NewRunMeta(res *Result, runID string, startAt time.Time) RunMeta {
	whole, shard, late := ShardOf(res.Plan.Profile)
	s := &res.Summary
	m := RunMeta{
		Schema: SchemaRunMeta, RunID: runID,
		Root: res.Plan.Root.String(), Path: res.Plan.Path, Method: res.Plan.Method(),
		Profile: whole.String(), ProfileDuration: whole.Duration(),
		Shard:   ShardJSON{Index: shard.Index, Count: shard.Count},
		StartAt: startAt, LateBy: late, Started: res.Started, Finished: res.Finished,
		Chat: !res.Plan.IsModels(), Bodies: len(res.Plan.Bodies), Seed: res.Plan.Seed, Requested: res.Plan.Requested,
		Slots: s.Slots, Missed: s.Missed, Late: s.Late, OfferedRate: s.OfferedRate,
		Interrupted: s.Interrupted, Aborted: s.Aborted, Abandoned: s.Abandoned, Conformance: s.Conformance,
	}
	if n, bounded := whole.Calls(); bounded && whole.InFlight() == 0 {
		m.PlannedCalls = n
	}
	for _, k := range res.Plan.Keys {
		m.Keys = append(m.Keys, target.Redact(k))
	}
	return m
}

// ReadRunMeta reads the metadata beside a results file.
func ReadRunMeta(results string) (RunMeta, error) {
	path := MetaPath(results)
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return RunMeta{}, fmt.Errorf("%s has no run metadata (%s): report reads the results files `load --output` writes, each with its metadata beside it", results, path)
		}
		return RunMeta{}, fmt.Errorf("cannot read %s: %v", path, err)
	}
	var m RunMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return RunMeta{}, fmt.Errorf("%s is not run metadata (%v)", path, err)
	}
	if m.Schema != SchemaRunMeta {
		return RunMeta{}, fmt.Errorf("%s has schema %q, this version reads %q", path, m.Schema, SchemaRunMeta)
	}
	if err := (Shard{Index: m.Shard.Index, Count: m.Shard.Count}).Validate(); err != nil {
		return RunMeta{}, fmt.Errorf("%s: %v", path, err)
	}
	if len(m.Keys) == 0 {
		return RunMeta{}, fmt.Errorf("%s names no keys", path)
	}
	return m, nil
}
