package load

import (
	"math"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// timelineHit is a call sent at origin+at that took lat and ended with code.
func timelineHit(origin time.Time, at, lat time.Duration, code uint16, completion int) *Hit {
	h := &Hit{Result: &vegeta.Result{Code: code, Timestamp: origin.Add(at), Latency: lat}, BodyIndex: 0}
	if code != 200 {
		h.Classify(false)
		return h
	}
	h.Outcome = Success // as Classify finds a completion
	h.Served.Usage = target.Usage{PromptTokens: 10, CompletionTokens: completion, TotalTokens: 10 + completion}
	return h
}

func TestTimelinePlacesCallsBySendTimeAndTokensByAnswer(t *testing.T) {
	origin := time.Unix(1000, 0)
	tl := NewTimeline(origin, 10*time.Second)
	if tl.Width() != 100*time.Millisecond {
		t.Fatalf("width for 10s = %s, want 100ms", tl.Width())
	}
	add := func(h *Hit) {
		if err := tl.Add(h); err != nil {
			t.Fatal(err)
		}
	}
	add(timelineHit(origin, -time.Millisecond, 10*time.Millisecond, 200, 0))      // before the origin: first bucket
	add(timelineHit(origin, 50*time.Millisecond, 20*time.Millisecond, 200, 0))    // bucket 0
	add(timelineHit(origin, 150*time.Millisecond, 30*time.Millisecond, 429, 0))   // bucket 1
	add(timelineHit(origin, 160*time.Millisecond, 50*time.Millisecond, 503, 0))   // bucket 1
	add(timelineHit(origin, 250*time.Millisecond, 200*time.Millisecond, 200, 40)) // sent in 2, answered in 4
	add(timelineHit(origin, 260*time.Millisecond, time.Millisecond, 0, 0))        // no answer, bucket 2
	b := tl.Buckets()
	if len(b) != 5 {
		t.Fatalf("%d buckets, want 5 (through the last answer)", len(b))
	}
	want := []struct{ req, ok, limited, failed uint64 }{{2, 2, 0, 0}, {2, 0, 1, 1}, {2, 1, 0, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}}
	for i, w := range want {
		if g := b[i]; g.Requests != w.req || g.Successes != w.ok || g.RateLimited != w.limited || g.Failures != w.failed {
			t.Errorf("bucket %d: %d/%d/%d/%d, want %+v", i, g.Requests, g.Successes, g.RateLimited, g.Failures, w)
		}
		if b[i].Start != time.Duration(i)*100*time.Millisecond {
			t.Errorf("bucket %d starts at %s", i, b[i].Start)
		}
	}
	if b[4].CompletionTokens != 40 || b[4].PromptTokens != 10 || b[2].CompletionTokens != 0 {
		t.Errorf("tokens: bucket 2 %d, bucket 4 %d/%d; want them where the answer came back", b[2].CompletionTokens, b[4].PromptTokens, b[4].CompletionTokens)
	}
	if b[1].StatusCodes[429] != 1 || b[1].StatusCodes[503] != 1 || b[1].ErrorClasses["http 5xx"] != 1 || b[1].ErrorClasses["http 429"] != 1 {
		t.Errorf("bucket 1 codes %v classes %v", b[1].StatusCodes, b[1].ErrorClasses)
	}
	if b[1].OtherMean != 40*time.Millisecond || b[1].P50 != 0 {
		t.Errorf("bucket 1: other mean %s (want 40ms), p50 %s (want 0: no success)", b[1].OtherMean, b[1].P50)
	}
	if b[0].Max != 20*time.Millisecond || b[0].Mean != 15*time.Millisecond {
		t.Errorf("bucket 0: max %s mean %s, want 20ms and 15ms exactly", b[0].Max, b[0].Mean)
	}
}

// A run far longer than expected keeps at most MaxTimelineBuckets buckets and
// loses no call.
func TestTimelineStaysBounded(t *testing.T) {
	origin := time.Unix(0, 0)
	tl := NewTimeline(origin, time.Second)
	const calls = 100_000
	for i := range calls {
		at := time.Duration(i) * 10 * time.Millisecond // 1000 s in all
		if err := tl.Add(timelineHit(origin, at, time.Duration(1+i%100)*time.Millisecond, 200, 1)); err != nil {
			t.Fatal(err)
		}
	}
	b := tl.Buckets()
	if len(b) > MaxTimelineBuckets {
		t.Fatalf("%d buckets, more than %d", len(b), MaxTimelineBuckets)
	}
	if tl.Width() < 1000*time.Second/MaxTimelineBuckets {
		t.Errorf("width %s cannot span 1000 s in %d buckets", tl.Width(), MaxTimelineBuckets)
	}
	var total uint64
	var tokens int64
	for i, x := range b {
		total += x.Requests
		tokens += x.CompletionTokens
		// The last bucket holds a part of a 1 s cycle of latencies.
		if i < len(b)-1 && x.Requests > 0 && (x.P50 < 45*time.Millisecond || x.P50 > 55*time.Millisecond) {
			t.Errorf("bucket at %s: p50 %s, want about 50ms", x.Start, x.P50)
		}
	}
	if total != calls || tokens != calls {
		t.Errorf("%d calls and %d tokens kept, want %d", total, tokens, calls)
	}
}

func TestTimelineDistribution(t *testing.T) {
	origin := time.Unix(0, 0)
	tl := NewTimeline(origin, time.Second)
	if d := tl.Distribution(20); d != nil {
		t.Fatalf("empty timeline: %v", d)
	}
	for i := 1; i <= 1000; i++ {
		code := uint16(200)
		if i%10 == 0 {
			code = 500
		}
		_ = tl.Add(timelineHit(origin, 0, time.Duration(i)*time.Millisecond, code, 0))
	}
	d := tl.Distribution(20)
	if len(d) != 20 {
		t.Fatalf("%d bins, want 20", len(d))
	}
	var ok, other uint64
	for i, bin := range d {
		ok += bin.Successes
		other += bin.Other
		if i > 0 && bin.Lo != d[i-1].Hi {
			t.Errorf("bin %d starts at %s, the previous ends at %s", i, bin.Lo, d[i-1].Hi)
		}
	}
	if ok != 900 || other != 100 {
		t.Errorf("%d successes and %d others binned, want 900 and 100", ok, other)
	}
	if d[0].Lo > time.Millisecond || d[19].Hi < time.Second {
		t.Errorf("bins span %s–%s, want 1ms–1s", d[0].Lo, d[19].Hi)
	}
	// Equal widths on a log scale: each bin's ratio is the same.
	r0 := float64(d[0].Hi) / float64(d[0].Lo)
	r9 := float64(d[9].Hi) / float64(d[9].Lo)
	if math.Abs(r0-r9) > 0.01*r0 {
		t.Errorf("bin ratios %.3f and %.3f differ", r0, r9)
	}
}

// A timeline costs a few map and histogram updates a call and no
// allocation once its buckets exist; 10^6 calls over an hour keep the
// bucket cap.
func BenchmarkTimelineAdd(b *testing.B) {
	origin := time.Unix(0, 0)
	tl := NewTimeline(origin, time.Hour)
	hits := make([]*Hit, 1000)
	for i := range hits {
		hits[i] = timelineHit(origin, 0, time.Duration(1+i)*time.Millisecond, 200, 10)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h := hits[i%len(hits)]
		h.Timestamp = origin.Add(time.Duration(i) * 3600 * time.Microsecond) // 10^6 calls span an hour
		_ = tl.Add(h)
	}
	if n := len(tl.Buckets()); n > MaxTimelineBuckets {
		b.Fatalf("%d buckets", n)
	}
}
