package suites

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStatusLine(t *testing.T) {
	m := &Meter{}
	m.calls.Store(57)
	s := newStatus(m, 39)
	s.begin("RATE-2")
	for range 12 {
		s.end()
	}
	now := time.Now()
	if got, want := s.line(now), "check: 12/39 specs · RATE-2 · 57 calls"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	s.waiting("the quiet window before the RATE burst", 58*time.Second)
	if got := s.line(time.Now()); !strings.HasSuffix(got, " · waiting 58s: the quiet window before the RATE burst") {
		t.Errorf("while waiting, line = %q", got)
	}
	s.waited()
	if got := s.line(now); strings.Contains(got, "waiting") {
		t.Errorf("after the wait, line = %q", got)
	}
	var nilStatus *status // the transport's status when none is shown
	nilStatus.waiting("x", time.Second)
	nilStatus.begin("X")
	nilStatus.end()
	if err := nilStatus.sleep(context.Background(), time.Millisecond, "x"); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for the drawing goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

func TestStatusDrawErasesAtTheEnd(t *testing.T) {
	var out syncBuffer
	s := newStatus(&Meter{}, 3)
	s.begin("AUTH-2")
	stop := s.draw(&out, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	stop()
	got := out.String()
	if !strings.Contains(got, eraseLine+"check: 0/3 specs · AUTH-2 · 0 calls") || !strings.HasSuffix(got, eraseLine) {
		t.Errorf("drawn %q: want the line redrawn in place and erased at the end", got)
	}
	if strings.Contains(got, "\n") {
		t.Errorf("the status line wrote a newline: %q", got)
	}
	if l := truncate(strings.Repeat("x", 300), statusWidth); len([]rune(l)) != statusWidth {
		t.Errorf("truncate kept %d runes, want %d", len([]rune(l)), statusWidth)
	}
}

// Off a terminal the status is a plain line per tick: no escapes, no
// redrawing, each line whole for a CI log.
func TestProgressLinesForCILogs(t *testing.T) {
	m := &Meter{}
	s := newStatus(m, 40)
	var out syncBuffer
	clock := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	ticks := make(chan time.Time)
	stop := s.progress(&out, ticks, now)
	tick := func(lines int) { // one tick, and its line written
		ticks <- time.Time{}
		for deadline := time.Now().Add(5 * time.Second); strings.Count(out.String(), "\n") < lines && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	advance(10 * time.Second)
	tick(1)
	for range 10 {
		s.end()
	}
	m.calls.Store(57)
	m.waited429.Store(2)
	advance(10 * time.Second)
	tick(2)
	stop()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{
		"check: 0/40 specs · 0 calls · 0 429s waited out · 10s elapsed",
		"check: 10/40 specs · 57 calls · 2 429s waited out · 20s elapsed · about 1m0s left",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %q, want %q", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, lines[i], want[i])
		}
	}
	if strings.Contains(out.String(), "\x1b") || strings.Contains(out.String(), "\r") {
		t.Errorf("terminal control in a CI log: %q", out.String())
	}
}

// While the probes are fetched few specs are done; a pace read from them would
// promise hours, so the estimate waits for a tenth of the specs.
func TestProgressLineEstimatesOnceATenthIsDone(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := newStatus(&Meter{}, 752)
	s.done = 2
	if line := s.progressLine(start, start.Add(4*time.Minute)); strings.Contains(line, "left") {
		t.Errorf("estimate from 2 of 752 specs: %q", line)
	}
	s.done = 376
	if line := s.progressLine(start, start.Add(4*time.Minute)); !strings.HasSuffix(line, "about 4m0s left") {
		t.Errorf("half done in 4m: %q", line)
	}
}
