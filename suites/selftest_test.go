package suites_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
	"github.com/carpathian-ai/carpathian-conform/suites"
)

// The self-test runs the real binary (Ginkgo runs a suite once per process)
// against in-process reference servers: conformant ones (each limiter, a path
// prefix, each base-URL shape, each quirk) must pass, and each deviation must
// be caught on its own clause and make no other MUST fail.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "carpathian-selftest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "carpathian-conform")
	build := exec.Command("go", "build", "-o", binary, "../cmd/carpathian-conform")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Short windows keep the self-test fast; the pacer scales with them.
var (
	fastLimit = target.Limit{N: 20, Window: time.Second}
	lowLimit  = target.Limit{N: 5, Window: time.Second}
	slowLimit = target.Limit{N: 20, Window: 4 * time.Second} // served calls take 1.6 s
	// rateLimit is for the RATE deviations: the cross-path check allows
	// what a token bucket regains between the first 429 and the other
	// paths' calls, which a longer window keeps small on a loaded machine.
	rateLimit = target.Limit{N: 10, Window: 3 * time.Second}
	// wideLimit is for deviations outside RATE: the runs skip the RATE
	// workflow, so a wider limit only shortens the pacing.
	wideLimit = target.Limit{N: 60, Window: time.Second}
)

// slowQuirks make every call slow: they run alone, not in "quirks together".
var slowQuirks = map[string]bool{"slow": true, "slow-varied": true, "one-at-a-time": true, "trickle": true}

type scenario struct {
	name      string
	opts      []fixtures.Option
	limit     target.Limit
	shape     *target.BaseShape // nil: the server's documented /v1 base
	strict    bool
	filter    string // --label-filter
	deviation *fixtures.ScopedDeviation
}

type outcome struct {
	sc             scenario
	conf           results.Conformance
	exit           int
	stdout, stderr string
	files          map[string][]byte
	keys           []string
	dur            time.Duration
	err            error
}

// scenarios are the conformant servers (each must pass with --strict) and
// every scoped deviation (each must be caught at its clause, and break no
// MUST outside its Clauses()).
func scenarios() []scenario {
	var out []scenario
	// The slow one first: it takes longest.
	out = append(out, scenario{name: "quirk slow", opts: []fixtures.Option{fixtures.WithQuirks("slow")}, limit: slowLimit, strict: true})
	for _, a := range fixtures.Algorithms {
		out = append(out, scenario{name: "reference " + string(a), opts: []fixtures.Option{fixtures.WithAlgorithm(a)}, limit: fastLimit, strict: true})
	}
	out = append(out, scenario{name: "reference under prefix /gw", opts: []fixtures.Option{fixtures.WithPrefix("/gw")}, limit: fastLimit, strict: true})
	for _, shape := range target.BaseShapes {
		s := shape
		out = append(out, scenario{name: fmt.Sprintf("reference with base {root}%s", shape), limit: fastLimit, shape: &s, strict: true})
	}
	out = append(out, scenario{name: "reference at 5 calls per window, models counted",
		opts: []fixtures.Option{fixtures.WithQuirks("count-models")}, limit: lowLimit, strict: true})
	var together []string
	for _, q := range fixtures.Quirks {
		if q.Name == "slow" {
			continue
		}
		out = append(out, scenario{name: "quirk " + q.Name, opts: []fixtures.Option{fixtures.WithQuirks(q.Name)}, limit: fastLimit, strict: true})
		if !slowQuirks[q.Name] {
			together = append(together, q.Name)
		}
	}
	// A real gateway varies in many ways at once (gzip and chunked and
	// charset and extra fields...): every quirk but the slow ones together.
	out = append(out, scenario{name: "quirks together", opts: []fixtures.Option{fixtures.WithQuirks(together...)}, limit: fastLimit, strict: true})
	for _, sd := range fixtures.ScopedDeviations() {
		sc := scenario{name: "deviation " + sd.Name(), opts: []fixtures.Option{fixtures.WithDeviations(sd.Name())}, limit: rateLimit, deviation: &sd}
		switch {
		case !needsRate(sd):
			sc.limit, sc.filter = wideLimit, specsAt(sd)
		case onlyRate(sd):
			// The rest of the suite is paced under the limit and cannot
			// meet a limiter's deviation: the RATE workflow alone.
			sc.filter = rateSpecs(sd)
		default:
			sc.limit = fastLimit // it breaks the bursts' replies, not the limiter
		}
		out = append(out, sc)
	}
	// A broken SHOULD fails under --strict.
	if sd, err := fixtures.LookupDeviation("no-retry-after"); err == nil {
		out = append(out, scenario{name: "strict deviation no-retry-after", opts: []fixtures.Option{fixtures.WithDeviations(sd.Name())}, limit: rateLimit, deviation: &sd, strict: true, filter: rateSpecs(sd)})
	}
	return out
}

// specsAt selects the specs a deviation outside RATE needs: those probing
// its scope (where it acts: the server keeps the contract everywhere else,
// as the conformant runs show) and those of its clause. An unscoped one, or
// one whose scope no label names, runs every spec outside RATE.
func specsAt(sd fixtures.ScopedDeviation) string {
	all := "!area:rate"
	var at string
	switch s := string(sd.Scope); sd.Scope.Kind() {
	case fixtures.KindPath:
		at = "scope:path." + suites.PathLabel(strings.TrimPrefix(s, "/ai"))
	case fixtures.KindEndpoint:
		at = "scope:" + s
	case fixtures.KindRole:
		at = "scope:key." + s
	case fixtures.KindVariant:
		if sd.Scope == fixtures.VariantPlain || sd.Scope == fixtures.VariantModelDefault {
			return all // most bodies are plain with model "default"
		}
		// The combined-field probes hold several variants at once.
		at = "scope:variant." + s + " || scope:variant.fields-t0 || scope:variant.fields-t2"
	default:
		return all
	}
	return fmt.Sprintf("(%s || clause:%s) && %s", at, sd.Clause, all)
}

// rateSpecs selects the RATE workflow, with its specs of other clauses (ERR-2
// on its 429s), which alone stand on no endpoint of the domain table.
func rateSpecs(sd fixtures.ScopedDeviation) string {
	return "area:rate || (clause:" + sd.Clause + " && !scope:chat && !scope:models)"
}

// onlyRate tells whether a deviation lives on the limit alone: RATE clauses
// only, or 429 replies.
func onlyRate(sd fixtures.ScopedDeviation) bool {
	for _, c := range sd.Clauses() {
		if !strings.HasPrefix(c, "RATE-") && sd.Scope != "429" {
			return false
		}
	}
	return true
}

// needsRate tells whether a deviation needs the RATE workflow to show: it
// touches a RATE clause, or lives on 429s. Only those runs make it (its
// quiet windows are most of a run's time).
func needsRate(sd fixtures.ScopedDeviation) bool {
	for _, c := range sd.Clauses() {
		if strings.HasPrefix(c, "RATE-") {
			return true
		}
	}
	return sd.Scope == "429"
}

// runScenario starts the server and runs the binary against it.
func runScenario(ctx context.Context, dir string, sc scenario) outcome {
	o := outcome{sc: sc, files: map[string][]byte{}}
	srv, err := fixtures.Start(append([]fixtures.Option{fixtures.WithRateLimit(sc.limit)}, sc.opts...)...)
	if err != nil {
		o.err = err
		return o
	}
	defer srv.Close()
	k := srv.Keys()
	o.keys = []string{k.Valid, k.Second, k.Revoked, k.Exhausted, k.Forbidden, k.Locked, suites.Mistyped(k.Valid), suites.BasicCredentials(k.Valid)}
	base := srv.BaseURL()
	if sc.shape != nil {
		base = srv.Root().Base(*sc.shape) + "/"
	}
	paths := map[string]string{"json": filepath.Join(dir, "report.json"), "junit": filepath.Join(dir, "junit.xml"), "markdown": filepath.Join(dir, "report.md")}
	args := []string{"--base-url", base, "--api-key", k.Valid, "--revoked-key", k.Revoked, "--exhausted-key", k.Exhausted,
		"--forbidden-key", k.Forbidden, "--locked-key", k.Locked, "--rate-limit", sc.limit.String(), "--timeout", "20s",
		"--json", paths["json"], "--junit", paths["junit"], "--markdown", paths["markdown"]}
	if sc.strict {
		args = append(args, "--strict")
	}
	if sc.filter != "" {
		args = append(args, "--label-filter", sc.filter)
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	o.dur = time.Since(start)
	o.stdout, o.stderr = stdout.String(), stderr.String()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		o.exit = ee.ExitCode()
	case err != nil:
		o.err = err
		return o
	}
	for name, p := range paths {
		o.files[name], _ = os.ReadFile(p)
	}
	dec := json.NewDecoder(bytes.NewReader(o.files["json"]))
	if err := dec.Decode(&o.conf); err != nil {
		o.err = fmt.Errorf("JSON report: %v (stderr %q)", err, o.stderr)
	}
	return o
}

// cleanEnv drops CARPATHIAN_* so the developer's environment cannot steer a run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARPATHIAN_") {
			env = append(env, kv)
		}
	}
	return env
}

// runAll runs every scenario, many at once: they spend their time waiting on
// short rate windows, not on the CPU.
func runAll(t *testing.T) []outcome {
	scs := scenarios()
	// SELFTEST_ONLY (a regexp on the scenario names) runs a few scenarios,
	// not every one, when checking one deviation.
	if only := os.Getenv("SELFTEST_ONLY"); only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			t.Fatalf("SELFTEST_ONLY: %v", err)
		}
		scs = slices.DeleteFunc(scs, func(sc scenario) bool { return !re.MatchString(sc.name) })
	}
	out := make([]outcome, len(scs))
	sem := make(chan struct{}, 8*runtime.GOMAXPROCS(0))
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i, sc := range scs {
		dir := t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = runScenario(ctx, dir, sc)
		}()
	}
	wg.Wait()
	return out
}

func TestSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("the self-test runs the binary against many servers")
	}
	start := time.Now()
	outcomes := runAll(t)
	var matrix [][]string
	points := map[string]bool{} // (clause, scope) pairs caught
	conformant := 0
	for _, o := range outcomes {
		t.Run(o.sc.name, func(t *testing.T) {
			if o.err != nil {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", o.err, o.stdout, o.stderr)
			}
			checkNoKeys(t, o)
			checkJUnit(t, o.files["junit"])
			checkJSON(t, o)
			if o.sc.deviation == nil {
				conformant++
				checkConformant(t, o)
				return
			}
			row, caught := checkCaught(t, o)
			matrix = append(matrix, row)
			if caught {
				points[o.sc.deviation.Clause+"@"+scopeName(o.sc.deviation.Scope)] = true
			}
		})
	}
	sort.SliceStable(matrix, func(i, j int) bool {
		if matrix[i][0] != matrix[j][0] {
			return clauseOrder(matrix[i][0]) < clauseOrder(matrix[j][0])
		}
		return matrix[i][1] < matrix[j][1]
	})
	caught := 0
	for _, r := range matrix {
		if r[3] != "missed" {
			caught++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mutation matrix: %d scoped deviations, %d caught at their clause; %d (clause, scope) points covered; %d conformant servers and quirks pass with --strict (%s):\n",
		len(matrix), caught, len(points), conformant, time.Since(start).Round(time.Second))
	reports.Table(&b, "", []string{"clause", "deviation", "scope", "caught as", "other clauses not PASS"}, matrix, nil)
	sort.Slice(outcomes, func(i, j int) bool { return outcomes[i].dur > outcomes[j].dur })
	b.WriteString("slowest runs:")
	for _, o := range outcomes[:min(5, len(outcomes))] {
		fmt.Fprintf(&b, " %s (%s);", o.sc.name, o.dur.Round(100*time.Millisecond))
	}
	b.WriteString("\n")
	t.Log("\n" + b.String())
	// make test shows the matrix: go test prints a passing package's output
	// only under -v, so it goes to a file the Makefile prints.
	if path := os.Getenv("SELFTEST_MATRIX_FILE"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Errorf("writing the matrix: %v", err)
		}
	}
}

func scopeName(s fixtures.Scope) string {
	if s == "" {
		return "everywhere"
	}
	return string(s)
}

func clauseOrder(id string) int {
	for i, c := range contract.Clauses {
		if c.ID == id {
			return i
		}
	}
	return len(contract.Clauses)
}

// checkConformant: every clause PASS (INFO for INFO clauses), exit 0.
func checkConformant(t *testing.T, o outcome) {
	t.Helper()
	for _, c := range o.conf.Clauses {
		want := results.Pass
		if c.Level == contract.Info {
			want = results.Info
		}
		if c.Verdict != want {
			t.Errorf("%s: %s %s (%s), want %s", o.sc.name, c.ID, c.Verdict, c.Detail, want)
		}
	}
	if o.exit != 0 {
		t.Errorf("%s: exit %d, want 0\n%s", o.sc.name, o.exit, o.stdout)
	}
	if o.conf.Waited429 != 0 {
		t.Errorf("%s: %d 429s waited out: the pacer let the run reach the limit", o.sc.name, o.conf.Waited429)
	}
}

// checkCaught: the deviation's clause FAILs (MUST, or SHOULD under --strict)
// or WARNs (SHOULD); no other MUST clause fails unless it is among the
// clauses the deviation breaks at its scope (Clauses()). It returns the
// matrix row and whether the deviation was caught.
func checkCaught(t *testing.T, o outcome) ([]string, bool) {
	t.Helper()
	d := o.sc.deviation
	allowed := map[string]bool{}
	for _, c := range d.Clauses() {
		allowed[c] = true
	}
	level := contract.MustLookup(d.Clause).Level
	want := results.Fail
	if level == contract.Should && !o.sc.strict {
		want = results.Warn
	}
	caught := "missed"
	var others []string
	for _, c := range o.conf.Clauses {
		switch {
		case c.ID == d.Clause:
			if c.Verdict == want {
				caught = string(c.Verdict)
			} else {
				t.Errorf("deviation %s: %s is %s (%s), want %s", d.Name(), c.ID, c.Verdict, c.Detail, want)
			}
		case c.Verdict == results.Pass || c.Verdict == results.Info || (c.Verdict == results.Skip && o.sc.filter != ""):
		default:
			others = append(others, c.ID+" "+string(c.Verdict))
			if c.Verdict == results.Fail && !allowed[c.ID] {
				t.Errorf("deviation %s: %s FAILs too (%s): only %v may", d.Name(), c.ID, c.Detail, d.Clauses())
			}
			if c.Verdict == results.Error {
				t.Errorf("deviation %s: %s is an ERROR (%s)", d.Name(), c.ID, c.Detail)
			}
		}
	}
	wantExit := 0
	if want == results.Fail {
		wantExit = 1
	}
	for _, o := range others {
		if strings.HasSuffix(o, " FAIL") {
			wantExit = 1
		}
	}
	if o.exit != wantExit {
		t.Errorf("deviation %s: exit %d, want %d", d.Name(), o.exit, wantExit)
	}
	name := d.Deviation.Name
	if o.sc.strict {
		name += " (--strict)"
	}
	return []string{d.Clause, name, scopeName(d.Scope), caught, strings.Join(others, ", ")}, caught != "missed"
}

// checkNoKeys: no output or file holds a full key.
func checkNoKeys(t *testing.T, o outcome) {
	t.Helper()
	texts := map[string]string{"stdout": o.stdout, "stderr": o.stderr}
	for name, b := range o.files {
		texts[name] = string(b)
	}
	for name, text := range texts {
		for _, k := range o.keys {
			if k != "" && strings.Contains(text, k) {
				t.Errorf("%s: %s holds a full key (%s)", o.sc.name, name, target.Redact(k))
			}
		}
	}
}

// checkJUnit: the JUnit file parses with encoding/xml and has a case per clause.
func checkJUnit(t *testing.T, data []byte) {
	t.Helper()
	var doc struct {
		XMLName xml.Name
		Cases   []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if len(doc.Cases) < len(contract.Clauses) {
		t.Errorf("JUnit has %d test cases, want at least %d (one per clause)", len(doc.Cases), len(contract.Clauses))
	}
}

// checkJSON: the JSON report has its schema, every clause, the run's figures
// and evidence behind every FAIL and WARN.
func checkJSON(t *testing.T, o outcome) {
	t.Helper()
	c := o.conf
	if err := validateSchema(o.files["json"]); err != nil {
		t.Errorf("the JSON report does not match its schema: %v", err)
	}
	if c.Schema != results.SchemaConformance {
		t.Errorf("schema %q, want %q", c.Schema, results.SchemaConformance)
	}
	if len(c.Clauses) != len(contract.Clauses) {
		t.Errorf("%d clauses, want %d", len(c.Clauses), len(contract.Clauses))
	}
	if c.Calls == 0 || c.Calls > c.MaxCalls+3*c.Waited429 {
		t.Errorf("calls %d, stated at most %d (+%d 429 retries)", c.Calls, c.MaxCalls, c.Waited429)
	}
	if strings.Contains(c.Target, "cai_") || (c.Model == "" && o.sc.deviation == nil) {
		t.Errorf("target %q model %q", c.Target, c.Model)
	}
	if c.ExitCode != o.exit {
		t.Errorf("JSON exit_code %d, process exit %d", c.ExitCode, o.exit)
	}
	for _, cl := range c.Clauses {
		if !cl.Verdict.NeedsEvidence() {
			continue
		}
		var n int
		for _, s := range cl.Specs {
			n += len(s.Evidence)
			for _, e := range s.Evidence {
				if !strings.Contains(e.Curl, "curl") {
					t.Errorf("%s: evidence without a curl command", cl.ID)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s %s without evidence (%s)", cl.ID, cl.Verdict, cl.Detail)
		}
	}
}
