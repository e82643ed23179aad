package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/carpathian-ai/carpathian-conform/load/ratelimit"
)

// WriteRatelimit renders a rate-limit analysis for people: the findings, the
// verdict against --expect, the timeline per window and the calls spent.
func WriteRatelimit(w io.Writer, f *ratelimit.Findings) error {
	if err := Table(w, "Rate-limit findings", []string{"finding", "value"}, ratelimitRows(f), nil); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := Table(w, fmt.Sprintf("Timeline (windows of %s from the first call)", f.Expect.Window),
		[]string{"window", "from", "chat sent", "served", "429", "other", "side probes"}, timelineRows(f), ratelimitRight); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Spent %d calls (%.2f N) and %d tokens in %s.\n", f.CallsSpent, float64(f.CallsSpent)/float64(max(f.Expect.N, 1)),
		f.Tokens, f.Finished.Sub(f.Started).Round(time.Millisecond))
	if f.Interrupted {
		fmt.Fprintln(w, "Interrupted: the figures above are what was measured before the stop.")
	}
	if f.Error != "" {
		fmt.Fprintln(w, "Stopped early:", f.Error)
	}
	_, err := fmt.Fprintf(w, "Verdict: %s: %s\n", f.Verdict, f.VerdictDetail)
	return err
}

var ratelimitRight = []tw.Align{tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}

func ratelimitRows(f *ratelimit.Findings) [][]string {
	w := f.Expect.Window
	burst := fmt.Sprintf("%d served back to back (%d sent in %s) before the first 429", f.BurstCapacity, f.BurstCalls, f.BurstDuration.Round(time.Millisecond))
	if f.NoLimit {
		burst = fmt.Sprintf("all %d served: no 429", f.BurstCalls)
	}
	if f.Plan.Windows == 3 {
		burst += fmt.Sprintf(", after a quiet %s", w)
	}
	rows := [][]string{
		{"burst capacity", burst},
		{"measured limit", fmt.Sprintf("%d per %s (tolerance ±%d)", f.MeasuredLimit, w, f.Tolerance)},
		{"most served in any " + w.String(), fmt.Sprintf("%d (a fixed window admits up to 2N across a boundary, a bucket its capacity plus refill)", f.SustainedMax)},
		{"served per window", servedPerWindow(f) + " (chat on the first key)"},
		{"refill", f.Refill},
		{"a rate, not a ban (RATE-3)", rateNotBan(f)},
		{"algorithm", f.Fingerprint.Algorithm},
		{"evidence", strings.Join(f.Evidence, "\n")},
	}
	rows = append(rows, retryAfterRows(f.RetryAfter)...)
	if len(f.Headers) == 0 {
		rows = append(rows, []string{"rate-limit headers", "none (X-RateLimit-*, RateLimit-*, x-ratelimit-*-requests)"})
	}
	for _, h := range f.Headers {
		v := h.On429
		if v == "" {
			v = h.OnServed + " (on a served call)"
		}
		rows = append(rows, []string{"header " + h.Name, v + "; agrees with the measurement: " + h.Agrees})
	}
	rows = append(rows,
		[]string{"429 latency", latencyVerdict(f.RefusedLatency, f.AcceptedLatency)},
		[]string{"429 billed", f.RefusedBilled},
		[]string{"models calls count", f.ModelsCount},
		[]string{"refused calls count", f.RefusedCount},
		[]string{"limit per key", f.PerKey},
	)
	return rows
}

func rateNotBan(f *ratelimit.Findings) string {
	switch {
	case f.HeldBeyondWindow != "":
		return "no: " + f.HeldBeyondWindow
	case f.Reset != nil:
		return "yes: served again after the first 429"
	}
	return "not shown: nothing was served again while probing"
}

func retryAfterRows(r ratelimit.RetryAfterFinding) [][]string {
	switch r.Format {
	case ratelimit.RetryAfterAbsent:
		return [][]string{{"Retry-After", "absent on the first 429 (RATE-4)"}}
	case ratelimit.RetryAfterInvalid:
		return [][]string{{"Retry-After", fmt.Sprintf("unreadable: %q", r.Raw)}}
	}
	rows := [][]string{{"Retry-After", fmt.Sprintf("%s (%s): %s", r.Raw, r.Format, r.Delay.Round(time.Millisecond))}}
	honest := strings.TrimSpace(r.ServedAt + "; " + r.RefusedAtHalf)
	if r.ServedAt == "" && r.RefusedAtHalf == "" {
		honest = "not probed"
	}
	rows = append(rows, []string{"Retry-After honest", strings.Trim(honest, "; ")})
	if r.Error != "" {
		rows = append(rows, []string{"Retry-After vs reset", r.Error})
	}
	return rows
}

func servedPerWindow(f *ratelimit.Findings) string {
	parts := make([]string, len(f.Timeline))
	for i, r := range f.Timeline {
		parts[i] = fmt.Sprint(r.Accepted)
	}
	return strings.Join(parts, ", ")
}

// cheapRefusal is a 429 latency too small to matter whatever served calls take.
const cheapRefusal = 20 * time.Millisecond

// latencyVerdict says whether 429s are cheap: no slower than served calls.
func latencyVerdict(refused, accepted time.Duration) string {
	if refused == 0 {
		return "no 429 seen"
	}
	cheap := "cheap"
	if refused > cheapRefusal && refused > accepted {
		cheap = "not cheap: slower than served calls"
	}
	return fmt.Sprintf("median %s (served calls: %s): %s", refused.Round(time.Microsecond), accepted.Round(time.Microsecond), cheap)
}

func timelineRows(f *ratelimit.Findings) [][]string {
	rows := make([][]string, len(f.Timeline))
	for i, r := range f.Timeline {
		rows[i] = []string{fmt.Sprint(i + 1), "+" + r.Start.String(), fmt.Sprint(r.Sent), fmt.Sprint(r.Accepted), fmt.Sprint(r.Refused), fmt.Sprint(r.Other), fmt.Sprint(r.Side)}
	}
	return rows
}

// WriteRatelimitJSON writes the findings, every call included, as indented JSON.
func WriteRatelimitJSON(w io.Writer, f *ratelimit.Findings) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// WriteRatelimitJSONFile writes the findings to path with WriteFile.
func WriteRatelimitJSONFile(path string, stdout io.Writer, f *ratelimit.Findings) error {
	return WriteFile(path, stdout, "findings", func(w io.Writer) error { return WriteRatelimitJSON(w, f) })
}
