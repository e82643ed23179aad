package suites

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// status is what the run is doing, for the live status line on a terminal:
// specs done, the current clause, calls made and what the run waits for. The
// specs (through Ginkgo's report hooks), the transport and the RATE workflow
// update it; a ticker draws it. A nil *status does nothing.
type status struct {
	meter *Meter
	total int

	mu     sync.Mutex
	done   int
	clause string
	wait   string    // what the run waits for, "" when it does not
	until  time.Time // when that wait ends
	halted string    // why the run stops early (--fail-fast), "" while it goes on
}

func newStatus(meter *Meter, total int) *status { return &status{meter: meter, total: total} }

// begin notes the spec now running.
func (s *status) begin(clause string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clause = clause
}

// end counts a spec done.
func (s *status) end() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done++
}

// stop notes why the run stops early; the first reason stays.
func (s *status) stop(why string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.halted == "" {
		s.halted = why
	}
}

// stoppedBy is why the run stops early, or "".
func (s *status) stoppedBy() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.halted
}

// waiting notes a wait of d for what, until waited.
func (s *status) waiting(what string, d time.Duration) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wait, s.until = what, time.Now().Add(d)
}

// waited ends the wait noted by waiting.
func (s *status) waited() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wait = ""
}

// sleep waits d (or until ctx ends), shown as waiting for what.
func (s *status) sleep(ctx context.Context, d time.Duration, what string) error {
	if d <= 0 {
		return ctx.Err()
	}
	s.waiting(what, d)
	defer s.waited()
	return load.Sleep(ctx, d)
}

// line is the status line at now.
func (s *status) line(now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := []string{fmt.Sprintf("%d/%d specs", s.done, s.total)}
	if s.clause != "" {
		parts = append(parts, s.clause)
	}
	parts = append(parts, fmt.Sprintf("%d calls", s.meter.Calls()))
	if s.wait != "" {
		left := max(s.until.Sub(now), 0).Truncate(time.Second)
		if s.until.Sub(now) > left {
			left += time.Second // a countdown shows 1s until it is over
		}
		parts = append(parts, fmt.Sprintf("waiting %s: %s", left, s.wait))
	}
	return "check: " + strings.Join(parts, " · ")
}

// draw redraws the status line on w every tick until stop is called, which
// erases it. The line is shorter than any terminal worth the name.
func (s *status) draw(w io.Writer, tick time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			fmt.Fprint(w, eraseLine+truncate(s.line(time.Now()), statusWidth))
			select {
			case <-done:
				fmt.Fprint(w, eraseLine)
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// ProgressEvery is how often a run off a terminal (a CI log) prints its
// progress line.
const ProgressEvery = 10 * time.Second

// progressLine is the line a CI log gets every ProgressEvery: specs done of
// total, calls, 429s waited out, elapsed and, once a tenth of the specs is
// done, an estimate of what is left (at the pace so far). Before that the
// probes are still being fetched and specs finish in a rush afterwards, so a
// pace read from the first specs would be wild.
func (s *status) progressLine(started, now time.Time) string {
	s.mu.Lock()
	done, total := s.done, s.total
	s.mu.Unlock()
	elapsed := now.Sub(started).Round(time.Second)
	line := fmt.Sprintf("check: %d/%d specs · %d calls · %d 429s waited out · %s elapsed",
		done, total, s.meter.Calls(), s.meter.Waited429(), elapsed)
	if done > 0 && done < total && done*10 >= total {
		left := time.Duration(float64(now.Sub(started)) * float64(total-done) / float64(done))
		line += fmt.Sprintf(" · about %s left", left.Round(time.Second))
	}
	return line
}

// progress prints progressLine to w, one line per tick, until stop is
// called. ticks and now are a ticker's channel and a clock (tests drive
// them).
func (s *status) progress(w io.Writer, ticks <-chan time.Time, now func() time.Time) (stop func()) {
	started := now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-ticks:
				fmt.Fprintln(w, s.progressLine(started, now()))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// eraseLine returns to the start of the line and clears it.
const eraseLine = "\r\x1b[K"

// statusWidth keeps the line within the reports' width.
const statusWidth = 99

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
