package load

import (
	"math"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// drive runs a pacer the way vegeta's attack loop does, on a synthetic
// clock: Pace, sleep the wait, send (after a stall when stall says so),
// count. It returns the send times.
func drive(p vegeta.Pacer, du time.Duration, stall func(hit uint64) time.Duration) []time.Duration {
	var elapsed time.Duration
	var sends []time.Duration
	for hits := uint64(0); ; hits++ {
		if elapsed > du {
			return sends
		}
		wait, stop := p.Pace(elapsed, hits)
		if stop {
			return sends
		}
		elapsed += wait
		if stall != nil {
			elapsed += stall(hits) // every worker busy: the tick blocks
		}
		sends = append(sends, elapsed)
	}
}

// maxInWindow is the most sends in any window of length w.
func maxInWindow(sends []time.Duration, w time.Duration) int {
	best, j := 0, 0
	for i := range sends {
		for sends[i]-sends[j] >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// must is for profiles known valid.
func must(p Profile, err error) Profile {
	if err != nil {
		panic(err)
	}
	return p
}

func TestPacerConstantSchedule(t *testing.T) {
	p := must(Constant(100, time.Second))
	pacer := p.NewPacer()
	sends := drive(pacer, time.Second, nil)
	if n, _ := p.Calls(); int64(len(sends)) != n || n != 100 {
		t.Fatalf("sent %d, profile says %d, want 100", len(sends), n)
	}
	for i, s := range sends {
		if want := time.Duration(i) * 10 * time.Millisecond; s != want {
			t.Fatalf("send %d at %s, want %s", i, s, want)
		}
	}
	if st := pacer.Stats(); st.Missed != 0 || st.Late != 0 {
		t.Errorf("stats %+v on an unstalled run", st)
	}
}

// After a stall our pacer drops the overdue slots; vegeta's ConstantPacer
// fires them all at once (its issue #620). Same driver, same stall.
func TestPacerNeverBurstsAfterStall(t *testing.T) {
	const rate = 100 // one slot per 10 ms
	stall := func(hit uint64) time.Duration {
		if hit == 10 {
			return 300 * time.Millisecond // 30 slots' worth
		}
		return 0
	}
	p := must(Constant(rate, 2*time.Second))
	pacer := p.NewPacer(WithTolerance(5 * time.Millisecond))
	ours := drive(pacer, 2*time.Second, stall)
	// In any 100 ms: at most the 10 scheduled, plus the one late send.
	if got := maxInWindow(ours, 100*time.Millisecond); got > 11 {
		t.Errorf("our pacer sent %d calls in 100 ms after a stall, want at most 11", got)
	}
	st := pacer.Stats()
	if st.Missed < 29 || st.Missed > 31 {
		t.Errorf("missed %d slots in a 300 ms stall at 100/s, want about 30", st.Missed)
	}
	if st.Late > 2 {
		t.Errorf("late sends = %d, want at most 2: slots within the tolerance after the stall", st.Late)
	}
	if total := uint64(len(ours)) + st.Missed; total < 199 || total > 201 {
		t.Errorf("sent+missed = %d, want the 200 slots of the profile", total)
	}

	theirs := drive(vegeta.ConstantPacer{Freq: rate, Per: time.Second}, 2*time.Second, stall)
	if got := maxInWindow(theirs, time.Millisecond); got < 25 {
		t.Errorf("vegeta's pacer burst only %d in 1 ms; the comparison no longer shows issue #620", got)
	}
}

// Within the tolerance a stall loses no slot: the overdue ones go out at
// CatchUp times the rate, so no 100 ms holds more than 1.08× its share
// (plus the one held-up send), and every slot of the profile is sent.
func TestPacerCatchesUpWithoutBurst(t *testing.T) {
	stall := func(hit uint64) time.Duration {
		if hit == 10 {
			return 300 * time.Millisecond
		}
		return 0
	}
	p := must(Constant(100, 2*time.Second))
	pacer := p.NewPacer()
	sends := drive(pacer, time.Hour, stall) // the pacer, not the clock, ends the run
	if st := pacer.Stats(); st.Missed != 0 || len(sends) != 200 {
		t.Fatalf("sent %d, missed %d; want all 200 slots sent", len(sends), st.Missed)
	}
	if got := maxInWindow(sends, 100*time.Millisecond); got > 11 {
		t.Errorf("%d sends in 100 ms while catching up, want at most 11", got)
	}
	// 30 slots behind at +8%: back on schedule within about 3.75 s, so the
	// last send is at most that late.
	if last := sends[len(sends)-1]; last > 2*time.Second+time.Second {
		t.Errorf("last send at %s", last)
	}
}

// Ten stalls shorter than the tolerance lose nothing.
func TestPacerToleratesJitter(t *testing.T) {
	p := must(Constant(200, time.Second))
	pacer := p.NewPacer(WithTolerance(3 * time.Millisecond))
	sends := drive(pacer, time.Second, func(hit uint64) time.Duration {
		if hit%20 == 0 {
			return 2 * time.Millisecond
		}
		return 0
	})
	if st := pacer.Stats(); st.Missed != 0 || len(sends) != 200 {
		t.Errorf("jitter under the tolerance: sent %d missed %d, want 200 and 0", len(sends), st.Missed)
	}
}

func TestPacerMaxCalls(t *testing.T) {
	p := must(Constant(1000, time.Second))
	if sends := drive(p.NewPacer(WithMaxCalls(7)), time.Second, nil); len(sends) != 7 {
		t.Errorf("sent %d with max 7", len(sends))
	}
	c := must(Closed(3, time.Second))
	if sends := drive(c.NewPacer(WithMaxCalls(5)), time.Second, func(uint64) time.Duration { return time.Millisecond }); len(sends) != 5 {
		t.Errorf("closed loop sent %d with max 5", len(sends))
	}
}

func TestRampSchedule(t *testing.T) {
	p := must(Ramp(10, 100, 2*time.Second))
	sends := drive(p.NewPacer(), 2*time.Second, nil)
	n, _ := p.Calls()
	if n != 110 || len(sends) != 110 {
		t.Fatalf("ramp 10→100/s over 2s: %d sends, Calls %d, want 110", len(sends), n)
	}
	// Density follows the rate: the first 200 ms hold about 10×0.2+... calls.
	count := func(from, to time.Duration) int {
		c := 0
		for _, s := range sends {
			if s >= from && s < to {
				c++
			}
		}
		return c
	}
	// ∫ rate over [0,0.2] = 10*0.2 + 45*0.04/2... exactly N(0.2)=2+0.9=2.9
	if c := count(0, 200*time.Millisecond); c < 2 || c > 4 {
		t.Errorf("first 200 ms: %d calls, want about 2.9", c)
	}
	// N(2)-N(1.8) = 110 - (18+ 45*3.24/2=72.9+18 = 90.9) = 19.1
	if c := count(1800*time.Millisecond, 2*time.Second); c < 18 || c > 20 {
		t.Errorf("last 200 ms: %d calls, want about 19.1", c)
	}
	for i := 1; i < len(sends); i++ {
		if sends[i] < sends[i-1] {
			t.Fatal("ramp slots out of order")
		}
	}
	down := must(Ramp(100, 0, time.Second))
	if n, _ := down.Calls(); n != 50 || len(drive(down.NewPacer(), time.Second, nil)) != 50 {
		t.Errorf("ramp 100→0 over 1s should offer 50 calls")
	}
}

func TestStepsSchedule(t *testing.T) {
	steps, err := ParseSteps("50/s@200ms, 0/s@100ms, 100/s@300ms")
	if err != nil {
		t.Fatal(err)
	}
	p := must(Steps(steps...))
	if p.Duration() != 600*time.Millisecond {
		t.Errorf("duration %s, want 600ms", p.Duration())
	}
	sends := drive(p.NewPacer(), p.Duration(), nil)
	var first, pause, last int
	for _, s := range sends {
		switch {
		case s < 200*time.Millisecond:
			first++
		case s < 300*time.Millisecond:
			pause++
		default:
			last++
		}
	}
	if first != 10 || pause != 0 || last != 30 {
		t.Errorf("steps sent %d/%d/%d, want 10/0/30", first, pause, last)
	}
	for _, bad := range []string{"5/s", "5/s@", "x@1s", "5/s@-1s", "5/s@1s,,"} {
		if _, err := ParseSteps(bad); err == nil {
			t.Errorf("ParseSteps(%q) accepted", bad)
		}
	}
}

func TestPoissonSchedule(t *testing.T) {
	base := must(Constant(1000, 10*time.Second))
	p := must(Poisson(base, 42))
	a := drive(p.NewPacer(WithTolerance(time.Hour)), 10*time.Second, nil)
	b := drive(p.NewPacer(WithTolerance(time.Hour)), 10*time.Second, nil)
	if len(a) != len(b) || a[100] != b[100] {
		t.Fatal("same seed, different schedules")
	}
	// Poisson(10000): 4 standard deviations is 400.
	if n := len(a); n < 9600 || n > 10400 {
		t.Errorf("%d arrivals, want about 10000", n)
	}
	// Exponential gaps: coefficient of variation about 1 (uniform: 0).
	var sum, sq float64
	for i := 1; i < len(a); i++ {
		g := float64(a[i] - a[i-1])
		sum += g
		sq += g * g
	}
	n := float64(len(a) - 1)
	mean := sum / n
	cv := math.Sqrt(sq/n-mean*mean) / mean
	if cv < 0.9 || cv > 1.1 {
		t.Errorf("gap CV %.2f, want about 1", cv)
	}
	if _, err := Poisson(must(Closed(2, time.Second)), 1); err == nil {
		t.Error("Poisson of a closed loop accepted")
	}
}

func TestParseRate(t *testing.T) {
	good := map[string]Rate{"5/s": 5, "5": 5, "300/1m": 5, "0.5/s": 0.5, "5/10s": 0.5, " 4.9/s ": 4.9, "60/m": 1}
	for in, want := range good {
		got, err := ParseRate(in)
		if err != nil || math.Abs(float64(got-want)) > 1e-9 {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1/s", "5/x", "5/0s", "NaN"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestProfileValidation(t *testing.T) {
	if _, err := Constant(0, time.Second); err == nil {
		t.Error("constant 0/s accepted")
	}
	if _, err := Constant(5, 0); err == nil {
		t.Error("zero duration accepted")
	}
	if _, err := Ramp(0, 0, time.Second); err == nil {
		t.Error("ramp 0→0 accepted")
	}
	if _, err := Closed(0, time.Second); err == nil {
		t.Error("closed loop of 0 accepted")
	}
	if _, err := Steps(Step{0, time.Second}); err == nil {
		t.Error("all-zero steps accepted")
	}
}
