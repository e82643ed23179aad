package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// ResultsFile is a results file (vegeta's format, as `load --output` writes
// it) with the metadata beside it.
type ResultsFile struct {
	Path string
	Meta RunMeta
}

// OpenResults reads each results file's metadata and checks that the files
// make up (part of) one run: the same run ID and target, shards of the same
// count, none twice.
func OpenResults(paths ...string) ([]ResultsFile, error) {
	if len(paths) == 0 {
		return nil, errors.New("no results file: give the files `load --output` wrote")
	}
	files := make([]ResultsFile, 0, len(paths))
	for _, p := range paths {
		m, err := ReadRunMeta(p)
		if err != nil {
			return nil, err
		}
		files = append(files, ResultsFile{Path: p, Meta: m})
	}
	first := files[0]
	seen := map[int]string{}
	for _, f := range files {
		m := f.Meta
		switch {
		case m.Root+m.Path != first.Meta.Root+first.Meta.Path:
			return nil, fmt.Errorf("%s targets %s, %s targets %s: merge only the files of one run", first.Path, first.Meta.Root+first.Meta.Path, f.Path, m.Root+m.Path)
		case m.RunID != first.Meta.RunID:
			return nil, fmt.Errorf("%s is from run %s, %s from run %s: merge only the files of one run", first.Path, first.Meta.RunID, f.Path, m.RunID)
		case m.Shard.Count != first.Meta.Shard.Count:
			return nil, fmt.Errorf("%s is a shard of %d, %s a shard of %d: merge only the files of one run", first.Path, first.Meta.Shard.Count, f.Path, m.Shard.Count)
		}
		if other, dup := seen[m.Shard.Index]; dup {
			return nil, fmt.Errorf("%s and %s are both shard %d/%d: give each shard's file once", other, f.Path, m.Shard.Index, m.Shard.Count)
		}
		seen[m.Shard.Index] = f.Path
	}
	slices.SortFunc(files, func(a, b ResultsFile) int { return a.Meta.Shard.Index - b.Meta.Shard.Index })
	return files, nil
}

// Merge replays the files' results into one set of metrics (so percentiles
// come from every sample, never from averaged percentiles) and into the
// sinks, and adds up what each shard's metadata counted: slots, missed
// slots, offered rate, sampled conformance. The result reads as the report
// of the whole run; its Profile names the shards merged and any missing.
// Sinks are closed whatever happens.
func Merge(files []ResultsFile, sinks ...Sink) (res *Result, err error) {
	defer func() {
		for _, s := range sinks {
			if cerr := s.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}
	}()
	if len(files) == 0 {
		return nil, errors.New("no results file to merge")
	}
	first := files[0].Meta
	root, err := target.ParseBaseURL(first.Root)
	if err != nil {
		return nil, fmt.Errorf("%s: root %v", MetaPath(files[0].Path), err)
	}
	// One key list for the run: each shard's keys in the order it used them.
	var keys []string
	keyIndex := map[string]int{}
	for _, f := range files {
		for _, k := range f.Meta.Keys {
			if _, ok := keyIndex[k]; !ok {
				keyIndex[k] = len(keys)
				keys = append(keys, k)
			}
		}
	}
	m := NewMetrics(len(keys))
	var s Summary
	started, finished := first.Started, first.Finished
	conf := Conformance{ByClause: map[string]uint64{}}
	for _, f := range files {
		if err := replay(f, keyIndex, m, sinks); err != nil {
			return nil, err
		}
		fm := f.Meta
		s.Slots += fm.Slots
		s.Missed += fm.Missed
		s.Late += fm.Late
		s.Abandoned += fm.Abandoned
		s.OfferedRate += fm.OfferedRate
		s.Interrupted = s.Interrupted || fm.Interrupted
		if s.Aborted == "" && fm.Aborted != "" {
			s.Aborted = fmt.Sprintf("%s (shard %d/%d)", fm.Aborted, fm.Shard.Index, fm.Shard.Count)
		}
		started = minTime(started, fm.Started)
		if fm.Finished.After(finished) {
			finished = fm.Finished
		}
		mergeConformance(&conf, fm.Conformance)
	}
	sum := m.Summary()
	sum.Slots, sum.Missed, sum.Late, sum.Abandoned = s.Slots, s.Missed, s.Late, s.Abandoned
	sum.OfferedRate, sum.Interrupted, sum.Aborted = s.OfferedRate, s.Interrupted, s.Aborted
	sum.Conformance = conf
	sum.Profile = first.Profile + shardsNote(files)
	sum.Elapsed = finished.Sub(started)
	for i := range sum.Keys {
		sum.Keys[i].Key = keys[i]
	}
	plan := Plan{Root: root, Path: first.Path, Keys: keys, Name: "carpathian-conform"}
	return &Result{Plan: plan, Summary: sum, Started: started, Finished: finished}, nil
}

// replay feeds one file's results to the metrics and sinks as the run fed
// them: the same key (seq mod the shard's keys), the same classification.
func replay(f ResultsFile, keyIndex map[string]int, m *Metrics, sinks []Sink) error {
	file, err := os.Open(f.Path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", f.Path, err)
	}
	defer file.Close()
	dec := vegeta.DecoderFor(bufio.NewReaderSize(file, 64<<10))
	if dec == nil {
		return fmt.Errorf("%s is not a vegeta results file (binary, JSON or CSV)", f.Path)
	}
	// The shard's plan as far as Call needs it: which key and body each
	// seq used.
	calls := Plan{Keys: f.Meta.Keys, Bodies: make([][]byte, f.Meta.Bodies), Seed: f.Meta.Seed}
	var h Hit
	for n := 0; ; n++ {
		var r vegeta.Result
		if err := dec.Decode(&r); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: result %d cannot be read (%v): is it a whole vegeta results file?", f.Path, n+1, err)
		}
		key, body := calls.Call(r.Seq)
		h.read(&r, keyIndex[f.Meta.Keys[key]], body, f.Meta.Requested)
		m.Add(&h)
		for _, s := range sinks {
			if err := s.Add(&h); err != nil {
				return err
			}
		}
	}
}

func mergeConformance(into *Conformance, c Conformance) {
	if !c.Checked {
		return
	}
	into.Checked, into.Every = true, c.Every
	into.Sampled += c.Sampled
	into.Violating += c.Violating
	for clause, n := range c.ByClause {
		into.ByClause[clause] += n
	}
	for _, v := range c.Examples {
		if len(into.Examples) < MaxViolationExamples {
			into.Examples = append(into.Examples, v)
		}
	}
}

// shardsNote says which shards a merged report covers.
func shardsNote(files []ResultsFile) string {
	count := files[0].Meta.Shard.Count
	if count <= 1 {
		return ""
	}
	if len(files) == count {
		return fmt.Sprintf(", %d shards merged", count)
	}
	have := map[int]bool{}
	for _, f := range files {
		have[f.Meta.Shard.Index] = true
	}
	var missing []string
	for i := range count {
		if !have[i] {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	return fmt.Sprintf(", %d of %d shards merged (missing: %s)", len(files), count, strings.Join(missing, ", "))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
