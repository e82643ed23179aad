package reports

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
)

// loadResults is a small fixed run: successes with usage, a 429, a timeout.
func loadResults() []*vegeta.Result {
	t0 := time.Unix(1700000000, 0)
	body := []byte(`{"choices":[{"finish_reason":"stop","message":{"content":"hi"}}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`)
	var rs []*vegeta.Result
	for i := 0; i < 20; i++ {
		r := &vegeta.Result{Seq: uint64(i), Code: 200, Timestamp: t0.Add(time.Duration(i) * 50 * time.Millisecond),
			Latency: time.Duration(10+i) * time.Millisecond, BytesIn: uint64(len(body)), BytesOut: 40, Body: body,
			Headers: http.Header{"Content-Type": {"application/json"}}}
		switch i {
		case 7:
			r.Code, r.Error, r.Body = 429, "429 Too Many Requests", nil
		case 13:
			r.Code, r.Error, r.Body = 0, "net/http: request canceled (Client.Timeout exceeded)", nil
		}
		rs = append(rs, r)
	}
	return rs
}

func loadRunOf(t *testing.T, rs []*vegeta.Result) *LoadRun {
	t.Helper()
	m := load.NewMetrics(1)
	for _, r := range rs {
		h := &load.Hit{Result: r, BodyIndex: 0}
		h.Classify(false)
		m.Add(h)
	}
	p, err := load.Constant(20, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	plan := load.Plan{Root: target.MustParseBaseURL("http://127.0.0.1:1/ai/v1"), Path: target.PathChat, Keys: []string{"cai_secretkey1234"}, Profile: p}
	s := m.Summary()
	s.Keys[0].Key = target.Redact(plan.Keys[0])
	s.Profile = p.String()
	th, _ := load.ParseThreshold("p99<1ms")
	return &LoadRun{Result: &load.Result{Plan: plan, Summary: s}, Thresholds: []load.ThresholdResult{th.Check(&s)}, ExitCode: 4}
}

// jsonKeys lists the keys of a JSON object, with one level of nesting as
// "parent.child".
func jsonKeys(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for k, v := range top {
		out[k] = v
		var sub map[string]json.RawMessage
		if k != "status_codes" && json.Unmarshal(v, &sub) == nil {
			for sk, sv := range sub {
				out[k+"."+sk] = sv
			}
		}
	}
	return out
}

// Our summary holds every key of vegeta's report -type=json, with the same
// values where both measure exactly (the percentiles are t-digest estimates
// in vegeta, HDR in ours).
func TestLoadJSONSupersetOfVegeta(t *testing.T) {
	rs := loadResults()
	var vm vegeta.Metrics
	for _, r := range rs {
		vm.Add(r)
	}
	vm.Close()
	var vb bytes.Buffer
	if err := vegeta.NewJSONReporter(&vm).Report(&vb); err != nil {
		t.Fatal(err)
	}
	var ob bytes.Buffer
	if err := WriteLoadJSON(&ob, NewLoadJSON(loadRunOf(t, rs), "test")); err != nil {
		t.Fatal(err)
	}
	theirs, ours := jsonKeys(t, vb.Bytes()), jsonKeys(t, ob.Bytes())
	var keys []string
	for k := range theirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) < 20 {
		t.Fatalf("vegeta's report has only %d keys: %v", len(keys), keys)
	}
	// Percentiles are estimates in vegeta; objects are compared key by key.
	skip := map[string]bool{"latencies.50th": true, "latencies.90th": true, "latencies.95th": true, "latencies.99th": true,
		"latencies": true, "bytes_in": true, "bytes_out": true}
	for _, k := range keys {
		v, ok := ours[k]
		if !ok {
			t.Errorf("our JSON lacks vegeta's key %q", k)
			continue
		}
		if skip[k] {
			continue
		}
		if !bytes.Equal(compactJSON(t, v), compactJSON(t, theirs[k])) {
			t.Errorf("%s: ours %s, vegeta's %s", k, v, theirs[k])
		}
	}
	for _, k := range []string{"schema", "missed_slots", "offered_rate", "tokens", "latencies_by_outcome", "thresholds", "exit_code"} {
		if _, ok := ours[k]; !ok {
			t.Errorf("our JSON lacks %q", k)
		}
	}
	if bytes.Contains(ob.Bytes(), []byte("secretkey1234")) {
		t.Error("the JSON holds a key in full")
	}
}

func compactJSON(t *testing.T, v json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadTables(t *testing.T) {
	var b bytes.Buffer
	run := loadRunOf(t, loadResults())
	if err := WriteLoadTables(&b, run); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Summary", "Latency", "successes", "429s", "status 200", "status 429", "error: timeout", "Tokens", "Finish reasons", "stop", "Thresholds", "p99<1ms", "FAIL", "output tokens/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("tables lack %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > TableWidth {
			t.Errorf("line wider than %d: %q", TableWidth, line)
		}
	}
	b.Reset()
	if err := WriteLoadPlan(&b, &run.Result.Plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "about 20") || !strings.Contains(b.String(), "cai_…1234") || strings.Contains(b.String(), "secretkey") {
		t.Errorf("plan:\n%s", b.String())
	}
	line := LoadProgressLine(load.Progress{Elapsed: 3 * time.Second, Total: 10 * time.Second, Requests: 30, Rate: 10, SuccessRatio: 1, P95: 20 * time.Millisecond, Tokens: 120})
	if !strings.Contains(line, "3s/10s") || !strings.Contains(line, "120 tokens") || strings.Contains(line, "\n") {
		t.Errorf("progress line %q", line)
	}
}
