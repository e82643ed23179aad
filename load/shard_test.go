package load

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// dueTimes lists every slot a pacer would offer, in order.
func dueTimes(p *Pacer) []time.Duration {
	var out []time.Duration
	for {
		d, ok := p.next()
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

func partitionProfiles(t *testing.T) map[string]Profile {
	t.Helper()
	steps := must(Steps(Step{Rate: 50, Duration: time.Second}, Step{Rate: 0, Duration: 500 * time.Millisecond}, Step{Rate: 230, Duration: 700 * time.Millisecond}))
	return map[string]Profile{
		"constant":        must(Constant(97, 3*time.Second)),
		"ramp up":         must(Ramp(10, 400, 2*time.Second)),
		"ramp down":       must(Ramp(300, 0, 2*time.Second)),
		"steps":           steps,
		"poisson":         must(Poisson(must(Constant(200, 2*time.Second)), 42)),
		"poisson ramp":    must(Poisson(must(Ramp(5, 150, 2*time.Second)), 7)),
		"poisson steps":   must(Poisson(steps, 3)),
		"fractional rate": must(Constant(0.7, 20*time.Second)),
	}
}

// The shards' slots are the profile's slots, each exactly once: shard i
// holds slots i, i+N, i+2N, ... at the same due times.
func TestShardsPartitionEveryProfile(t *testing.T) {
	for name, p := range partitionProfiles(t) {
		whole := dueTimes(p.NewPacer())
		if len(whole) == 0 {
			t.Fatalf("%s: no slots", name)
		}
		for _, n := range []int{1, 2, 3, 8, 13} {
			var union []time.Duration
			var calls int64
			owner := make([]int, len(whole))
			for i := range owner {
				owner[i] = -1
			}
			for i := range n {
				sp, err := Sharded(p, Shard{Index: i, Count: n})
				if err != nil {
					t.Fatal(err)
				}
				got := dueTimes(sp.NewPacer())
				for j, d := range got {
					k := i + j*n // the whole profile's slot this one must be
					if k >= len(whole) || whole[k] != d {
						t.Fatalf("%s, shard %d/%d: slot %d due %s, the whole profile's slot %d is not that", name, i, n, j, d, k)
					}
					if owner[k] >= 0 {
						t.Fatalf("%s: slot %d in shards %d and %d", name, k, owner[k], i)
					}
					owner[k] = i
				}
				union = append(union, got...)
				c, _ := sp.Calls()
				calls += c
			}
			if len(union) != len(whole) {
				t.Fatalf("%s over %d shards: %d slots, the profile has %d", name, n, len(union), len(whole))
			}
			slices.Sort(union)
			sorted := slices.Clone(whole)
			slices.Sort(sorted)
			if !slices.Equal(union, sorted) {
				t.Fatalf("%s over %d shards: the union differs from the profile", name, n)
			}
			wholeCalls, _ := p.Calls()
			if o := p.(open); !o.poisson && calls != wholeCalls {
				t.Errorf("%s over %d shards: planned calls add up to %d, the profile plans %d", name, n, calls, wholeCalls)
			}
		}
	}
}

func TestShardRateIsItsShare(t *testing.T) {
	p := must(Ramp(10, 400, 2*time.Second))
	sp := must(Sharded(p, Shard{Index: 2, Count: 8}))
	if got, want := sp.RateAt(time.Second), p.RateAt(time.Second)/8; got != want {
		t.Errorf("shard rate %s, want %s", got, want)
	}
	if sp.Duration() != p.Duration() {
		t.Errorf("shard duration %s, want the profile's %s", sp.Duration(), p.Duration())
	}
}

func TestShardSplitsClosedLoop(t *testing.T) {
	p := must(Closed(10, time.Second))
	total := 0
	for i := range 4 {
		sp := must(Sharded(p, Shard{Index: i, Count: 4}))
		total += sp.InFlight()
		if got := sp.NewPacer(); !got.closed {
			t.Errorf("shard %d: not a closed-loop pacer", i)
		}
	}
	if total != 10 {
		t.Errorf("in-flight parts add up to %d, want 10", total)
	}
	if _, err := Sharded(must(Closed(2, time.Second)), Shard{Index: 0, Count: 3}); err == nil {
		t.Error("2 in flight over 3 shards accepted")
	}
}

func TestShardSlotsAddUp(t *testing.T) {
	for total := int64(0); total < 40; total++ {
		for n := 1; n <= 9; n++ {
			var sum int64
			for i := range n {
				sum += Shard{Index: i, Count: n}.Slots(total)
			}
			if sum != total {
				t.Fatalf("%d slots over %d shards: parts add up to %d", total, n, sum)
			}
		}
	}
}

func TestShardKeys(t *testing.T) {
	keys := []string{"a", "b", "c", "d", "e"}
	seen := map[string]int{}
	for i := range 3 {
		for _, k := range (Shard{Index: i, Count: 3}).Keys(keys) {
			seen[k]++
		}
	}
	for _, k := range keys {
		if seen[k] != 1 {
			t.Errorf("key %s used by %d shards, want 1", k, seen[k])
		}
	}
	// Fewer keys than shards: one key each, spread round the list.
	for i, want := range []string{"a", "b", "a", "b", "a"} {
		if got := (Shard{Index: i, Count: 5}).Keys(keys[:2]); !slices.Equal(got, []string{want}) {
			t.Errorf("shard %d/5 of 2 keys: %v, want [%s]", i, got, want)
		}
	}
	if got := Whole.Keys(keys); !slices.Equal(got, keys) {
		t.Errorf("whole run keys %v", got)
	}
}

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"0/1": Whole, "2/8": {2, 8}, " 7 / 8 ": {7, 8}} {
		if got, err := ParseShard(in); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "8/8", "-1/3", "1/0", "1", "a/b", "1/2/3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

func TestShardFileName(t *testing.T) {
	s := Shard{Index: 2, Count: 8}
	for in, want := range map[string]string{
		"results.bin": "results-2of8.bin", "/r/load.json": "/r/load-2of8.json", "out": "out-2of8", "": "", "-": "-", "/dev/stdout": "/dev/stdout",
	} {
		if got := s.FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Whole.FileName("results.bin"); got != "results.bin" {
		t.Errorf("whole run renamed its file to %q", got)
	}
}

// A shard that starts late misses the slots already due (beyond the
// tolerance), counts them, and sends the rest on the profile's schedule.
func TestLateShardMissesWhatWasDue(t *testing.T) {
	p := must(Constant(100, time.Second)) // a slot every 10 ms
	sp := must(Sharded(p, Shard{Index: 1, Count: 2}))
	late := StartedLate(sp, 205*time.Millisecond)
	pacer := late.NewPacer()
	sends := drive(pacer, late.Duration(), nil)
	// Shard 1/2 owns slots at 10, 30, 50, ... ms; due before 205 ms are
	// 10..190: 10 slots missed, 210..990 sent: 40.
	if st := pacer.Stats(); st.Missed != 10 {
		t.Errorf("missed %d slots, want 10", st.Missed)
	}
	if len(sends) != 40 {
		t.Fatalf("sent %d, want 40", len(sends))
	}
	if first := sends[0] + 205*time.Millisecond; first != 210*time.Millisecond {
		t.Errorf("first send at %s of the profile, want 210ms", first)
	}
	if whole, s, l := ShardOf(late); whole.String() != p.String() || s != (Shard{1, 2}) || l != 205*time.Millisecond {
		t.Errorf("ShardOf = %s, %s, %s", whole, s, l)
	}
}

func TestWaitStart(t *testing.T) {
	start := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	clock := start.Add(-3 * time.Second)
	now := func() time.Time { return clock }
	var slept time.Duration
	sleep := func(_ context.Context, d time.Duration) error {
		slept += d
		clock = clock.Add(d + 2*time.Millisecond)
		return nil
	}
	late, err := WaitStart(context.Background(), start, now, sleep)
	if err != nil || slept != 3*time.Second || late != 2*time.Millisecond {
		t.Errorf("early shard: slept %s, late %s, %v; want 3s, 2ms", slept, late, err)
	}
	clock, slept = start.Add(1500*time.Millisecond), 0
	if late, _ := WaitStart(context.Background(), start, now, sleep); late != 1500*time.Millisecond || slept != 0 {
		t.Errorf("late shard: late %s, slept %s; want 1.5s, no wait", late, slept)
	}
	if late, _ := WaitStart(context.Background(), time.Time{}, now, sleep); late != 0 {
		t.Errorf("no agreed start: late %s", late)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WaitStart(ctx, time.Now().Add(time.Hour), time.Now, Sleep); err == nil {
		t.Error("a cancelled wait did not end with an error")
	}
}

// Shards started with the same flags agree on the run ID; another start,
// target or shard count is another run.
func TestRunIDAgreesAcrossShards(t *testing.T) {
	root := target.MustParseBaseURL("http://127.0.0.1:8080/ai/v1")
	p := must(Constant(100, time.Second))
	at := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	id := RunID(root, target.PathChat, p, 1, 8, at)
	if again := RunID(root, target.PathChat, p, 1, 8, at); again != id {
		t.Errorf("same flags, IDs %s and %s", id, again)
	}
	for name, other := range map[string]string{
		"start":  RunID(root, target.PathChat, p, 1, 8, at.Add(time.Second)),
		"count":  RunID(root, target.PathChat, p, 1, 4, at),
		"target": RunID(target.MustParseBaseURL("http://127.0.0.1:9090/ai/v1"), target.PathChat, p, 1, 8, at),
		"seed":   RunID(root, target.PathChat, p, 2, 8, at),
	} {
		if other == id {
			t.Errorf("another %s, the same run ID %s", name, id)
		}
	}
}
