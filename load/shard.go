package load

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Shard is one of Count processes that together run one profile: Index
// runs from 0 to Count-1, as Kubernetes numbers an Indexed Job's pods
// (JOB_COMPLETION_INDEX), so a pod passes its index through unchanged.
// Slot k of the profile belongs to shard k mod Count: the shards' slots are
// disjoint and together make every slot of the profile, whatever the rate
// curve or arrival process (Poisson arrivals come from one shared seed, so
// every shard walks the same arrival times and keeps its own).
type Shard struct {
	Index, Count int
}

// Whole is the shard of an unsharded run: every slot.
var Whole = Shard{Index: 0, Count: 1}

// ParseShard reads "I/N", I from 0 to N-1.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: write it as INDEX/COUNT with INDEX from 0, like 0/8 (a Job pod's $(JOB_COMPLETION_INDEX)/8)", s)
	}
	sh := Shard{Index: index, Count: count}
	return sh, sh.Validate()
}

// Validate checks 0 <= Index < Count.
func (s Shard) Validate() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d/%d: the count must be at least 1 and the index from 0 to count-1", s.Index, s.Count)
	}
	return nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// IsWhole tells whether the shard is the whole run.
func (s Shard) IsWhole() bool { return s.Count <= 1 }

// Owns tells whether slot k (0-based, in the profile's order) is this
// shard's.
func (s Shard) Owns(slot uint64) bool { return s.Count <= 1 || slot%uint64(s.Count) == uint64(s.Index) }

// Slots is how many of the first total slots are this shard's.
func (s Shard) Slots(total int64) int64 {
	if s.Count <= 1 {
		return total
	}
	if total <= int64(s.Index) {
		return 0
	}
	return (total-int64(s.Index)-1)/int64(s.Count) + 1
}

// InFlight is this shard's part of a closed loop's n calls in flight: n/Count,
// the remainder going to the lowest indexes, so the parts add up to n.
func (s Shard) InFlight(n int) int {
	if s.Count <= 1 {
		return n
	}
	share := n / s.Count
	if s.Index < n%s.Count {
		share++
	}
	return share
}

// KeyIndexes are the indexes of the keys (of n) this shard uses: every
// Count-th key from Index when there are at least as many keys as shards
// (each key used by one shard), else key Index mod n (each shard one key,
// shared by as few shards as possible).
func (s Shard) KeyIndexes(n int) []int {
	if s.Count <= 1 || n == 0 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	if n < s.Count {
		return []int{s.Index % n}
	}
	var out []int
	for i := s.Index; i < n; i += s.Count {
		out = append(out, i)
	}
	return out
}

// Keys picks this shard's keys (see KeyIndexes).
func (s Shard) Keys(keys []string) []string {
	var out []string
	for _, i := range s.KeyIndexes(len(keys)) {
		out = append(out, keys[i])
	}
	return out
}

// FileName names this shard's copy of an output: results.bin becomes
// results-2of8.bin for shard 2/8; the whole run keeps the name.
func (s Shard) FileName(path string) string {
	if path == "" || s.IsWhole() || !renamable(path) {
		return path
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%dof%d%s", strings.TrimSuffix(path, ext), s.Index, s.Count, ext)
}

// renamable tells whether an output path names a file of its own, rather
// than standard output ("-") or a device.
func renamable(path string) bool {
	return path != "-" && !strings.HasPrefix(path, "/dev/") && !strings.HasPrefix(path, "/proc/")
}

// Sharded is shard s's part of p: its slots of an open-loop profile (see
// Shard), or its part of a closed loop's concurrency. The whole shard
// returns p itself.
func Sharded(p Profile, s Shard) (Profile, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.IsWhole() {
		return p, nil
	}
	if n := p.InFlight(); n > 0 && n < s.Count {
		return nil, fmt.Errorf("a closed loop of %d calls in flight cannot be split over %d shards: keep at least one in flight per shard", n, s.Count)
	}
	return shardProfile{whole: unshard(p), shard: s}, nil
}

// StartedLate is p for a run that begins late after its planned start: an
// open-loop profile's slots keep their times, so the slots already due are
// missed (and counted, not caught up) and the rest go out on schedule; a
// closed loop runs for what is left of its duration.
func StartedLate(p Profile, late time.Duration) Profile {
	if late <= 0 {
		return p
	}
	sp, ok := p.(shardProfile)
	if !ok {
		sp = shardProfile{whole: p, shard: Whole}
	}
	sp.late = late
	return sp
}

// ShardOf tells which part of which whole profile p is, and how late it
// started.
func ShardOf(p Profile) (whole Profile, s Shard, late time.Duration) {
	if sp, ok := p.(shardProfile); ok {
		return sp.whole, sp.shard, sp.late
	}
	return p, Whole, 0
}

func unshard(p Profile) Profile {
	whole, _, _ := ShardOf(p)
	return whole
}

// shardProfile is one shard's part of a whole profile, possibly started
// late.
type shardProfile struct {
	whole Profile
	shard Shard
	late  time.Duration
}

func (p shardProfile) String() string {
	s := p.whole.String()
	if !p.shard.IsWhole() {
		s += ", shard " + p.shard.String()
	}
	if p.late > 0 {
		s += fmt.Sprintf(", started %s late", p.late.Round(time.Millisecond))
	}
	return s
}

// Duration is the whole profile's for an open loop (the shard's last slot
// ends it) and what is left of it for a late closed loop.
func (p shardProfile) Duration() time.Duration {
	d := p.whole.Duration()
	if p.whole.InFlight() > 0 {
		return max(d-p.late, time.Millisecond)
	}
	return d
}

func (p shardProfile) Calls() (int64, bool) {
	n, bounded := p.whole.Calls()
	if !bounded {
		return n, bounded
	}
	if o, ok := p.whole.(open); ok && o.poisson {
		return int64(math.Round(float64(n) / float64(p.shard.Count))), true
	}
	return p.shard.Slots(n), true
}

func (p shardProfile) RateAt(elapsed time.Duration) Rate {
	return p.whole.RateAt(elapsed+p.late) / Rate(p.shard.Count)
}

func (p shardProfile) InFlight() int { return p.shard.InFlight(p.whole.InFlight()) }

// NewPacer walks the whole profile's slots and keeps this shard's, each
// due late earlier on the shard's clock.
func (p shardProfile) NewPacer(opts ...PacerOption) *Pacer {
	if n := p.InFlight(); n > 0 {
		c, _ := Closed(n, p.Duration())
		return c.NewPacer(opts...)
	}
	pacer := p.whole.NewPacer(opts...)
	pacer.next = shardSlots(pacer.next, p.shard, p.late, func() { pacer.missed.Add(1) })
	pacer.rate = func(e time.Duration) float64 { return float64(p.RateAt(e)) }
	return pacer
}

// shardSlots keeps shard s's slots of the due times next yields, shifted
// earlier by late. The slots due before a late start are missed (the shard
// was not running then): skipped and counted, never caught up.
func shardSlots(next func() (time.Duration, bool), s Shard, late time.Duration, missed func()) func() (time.Duration, bool) {
	skip := s.Index // before the first slot: the slots of the lower indexes
	return func() (time.Duration, bool) {
		for {
			for ; skip > 0; skip-- {
				if _, ok := next(); !ok {
					return 0, false
				}
			}
			skip = s.Count - 1
			due, ok := next()
			if !ok || due >= late {
				return due - late, ok
			}
			missed()
		}
	}
}

// WaitStart waits until at, the run's agreed start, and returns how late
// the wait ended (0 when on time, or when at is zero: no agreed start).
// now and sleep are the clock (time.Now and Sleep in a real run).
// Cancelling ctx ends the wait with its error.
func WaitStart(ctx context.Context, at time.Time, now func() time.Time, sleep func(context.Context, time.Duration) error) (late time.Duration, err error) {
	if at.IsZero() {
		return 0, nil
	}
	if wait := at.Sub(now()); wait > 0 {
		if err := sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
	return max(now().Sub(at), 0), nil
}

// Sleep waits d or until ctx ends, the real clock of WaitStart.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
