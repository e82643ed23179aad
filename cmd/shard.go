package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/output"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// shardFlags run one shard of a load spread over several processes (an
// Indexed Job's pods): --shard I/N, --start-at, --run-id.
type shardFlags struct {
	shard, startAt, runID string
}

func (s *shardFlags) define(fs *FlagSet) {
	fs.StringVar(&s.shard, "shard", "", "run shard `I/N` (I from 0, like a Job's $(JOB_COMPLETION_INDEX)/8): slots I, I+N, ... of the profile, every N-th key; output files get -IofN in their names")
	fs.StringVar(&s.startAt, "start-at", "", "begin at this RFC 3339 `TIME`, e.g. 2026-05-04T12:00:00Z, so shards start together; a late start is reported and its missed slots counted")
	fs.StringVar(&s.runID, "run-id", "", "the `ID` shared by the shards of one run, recorded beside --output (default: derived from the target, profile, seed, shard count and --start-at; give one to tell apart runs with the same flags)")
}

// sharding is the parsed shard flags.
type sharding struct {
	shard   load.Shard
	startAt time.Time
	runID   string
}

func (s *shardFlags) parse() (sharding, error) {
	sh := sharding{shard: load.Whole, runID: strings.TrimSpace(s.runID)}
	var err error
	if strings.TrimSpace(s.shard) != "" {
		if sh.shard, err = load.ParseShard(s.shard); err != nil {
			return sh, fmt.Errorf("--shard: %v", err)
		}
	}
	if v := strings.TrimSpace(s.startAt); v != "" {
		if sh.startAt, err = time.Parse(time.RFC3339, v); err != nil {
			return sh, fmt.Errorf("--start-at %q: give an RFC 3339 time like 2026-05-04T12:00:00Z", v)
		}
	}
	return sh, nil
}

// apply makes the plan this shard's part: its slots or in-flight calls, its
// keys; and settles the run ID.
func (sh *sharding) apply(p *load.Plan, seed uint64) error {
	if sh.runID == "" {
		sh.runID = load.RunID(p.Root, p.Path, p.Profile, seed, sh.shard.Count, sh.startAt)
	}
	if sh.shard.IsWhole() {
		return nil
	}
	profile, err := load.Sharded(p.Profile, sh.shard)
	if err != nil {
		return err
	}
	p.Profile, p.Keys = profile, sh.shard.Keys(p.Keys)
	return nil
}

// rename gives each output path this shard's name.
func (sh *sharding) rename(paths ...*string) {
	for _, p := range paths {
		*p = sh.shard.FileName(*p)
	}
}

// waitStart waits for --start-at, says how late the shard is if it is, and
// makes the plan miss (and count) the slots already due.
func (sh *sharding) waitStart(env Env, p *load.Plan) error {
	if sh.startAt.IsZero() {
		return nil
	}
	if wait := time.Until(sh.startAt); wait > 0 {
		sayf(env.Stdout, "Waiting %s for --start-at %s.", wait.Round(time.Millisecond), sh.startAt.Format(time.RFC3339))
	}
	late, err := load.WaitStart(env.Ctx, sh.startAt, time.Now, load.Sleep)
	if err != nil {
		return &ExitError{Code: ExitErrors}
	}
	if late > p.Profile.Duration() {
		return Usagef("load: started %s after --start-at %s, after the whole profile (%s): nothing left to send",
			late.Round(time.Millisecond), sh.startAt.Format(time.RFC3339), p.Profile.Duration())
	}
	if late >= time.Millisecond {
		fmt.Fprintf(env.Stderr, "carpathian-conform: load: shard %s started %s late, after --start-at %s: the slots already due are counted as missed\n",
			sh.shard, late.Round(time.Millisecond), sh.startAt.Format(time.RFC3339Nano))
	}
	p.Profile = load.StartedLate(p.Profile, late)
	return nil
}

// writeMeta writes the run metadata beside the results file, for `report`.
// Results written to standard output have no beside.
func (sh *sharding) writeMeta(env Env, outputPath string, res *load.Result) error {
	if outputPath == "" || outputPath == output.Stdout {
		return nil
	}
	return reports.WriteRunMetaFile(load.MetaPath(outputPath), env.Stdout, load.NewRunMeta(res, sh.runID, sh.startAt))
}
