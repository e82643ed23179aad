package kubernetes

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	corev1 "k8s.io/api/core/v1"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// The simulated run: the whole profile every N shares.
const (
	simRate     = 400 // calls per second, all shards together
	simDuration = 3 * time.Second
	simBucket   = 100 * time.Millisecond
	// simOnSchedule is the share of slots a run may miss and still be held
	// to the single run's call count, as simOnTime is for the buckets: a
	// run beyond it was not given the CPU to keep its schedule (a machine
	// shared by several test runs), and those figures would measure the
	// machine, not the shards. Slots, offered rate and percentiles are held
	// always.
	simOnSchedule = 0.005
	// simOnTime is the share of slots the shards may send late (over 5 ms
	// behind) or miss and still be judged on their 100 ms buckets.
	simOnTime = 0.02
	// simLead is how far ahead --start-at is set: time for N processes to
	// start and make their preflight call on a busy machine.
	simLead = 3 * time.Second
)

// binary builds the tool once per test run. It runs here, not in the
// image: the default build reuses the packages every other test compiled
// (deploy/image tests the static build and the image).
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "carpathian-sim-*")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "carpathian-conform")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/carpathian-ai/carpathian-conform/cmd/carpathian-conform")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := binary(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// pod is one pod of the Job as the kubelet would start it.
type pod struct {
	args []string
	env  []string
}

// varRef is Kubernetes' $(VAR) reference in args and env values.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand does what the kubelet does to $(VAR) in a container's args:
// replaced when VAR is in the environment, left alone otherwise.
func expand(s string, env map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		if v, ok := env[ref[2:len(ref)-1]]; ok {
			return v
		}
		return ref
	})
}

// pods turns the rendered Job into its N pods: the image's entrypoint with
// the container's args, and exactly the environment Kubernetes would give
// it: JOB_COMPLETION_INDEX, the ConfigMap (envFrom), then each env entry
// (a Secret key, the Job's uid label). The one substitution is the results
// volume's mount path, which becomes resultsDir.
func pods(t *testing.T, m manifests, secret *corev1.Secret, jobUID, resultsDir string) []pod {
	t.Helper()
	spec := m.job.Spec
	c := spec.Template.Spec.Containers[0]
	if len(c.Command) > 0 {
		t.Fatalf("the container overrides the image's entrypoint with %v", c.Command)
	}
	if len(c.VolumeMounts) != 1 {
		t.Fatalf("volume mounts %+v: want the results volume alone", c.VolumeMounts)
	}
	mount := c.VolumeMounts[0].MountPath
	var out []pod
	for i := range int(*spec.Completions) {
		env := map[string]string{"JOB_COMPLETION_INDEX": strconv.Itoa(i)}
		var order []string
		set := func(k, v string) {
			if _, ok := env[k]; !ok {
				order = append(order, k)
			}
			env[k] = v
		}
		set("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef == nil || from.ConfigMapRef.Name != m.configMap.Name {
				t.Fatalf("envFrom %+v: only the generated ConfigMap is simulated", from)
			}
			for _, k := range slices.Sorted(func(yield func(string) bool) {
				for k := range m.configMap.Data {
					if !yield(k) {
						return
					}
				}
			}) {
				set(from.Prefix+k, m.configMap.Data[k])
			}
		}
		for _, e := range c.Env {
			switch {
			case e.ValueFrom == nil:
				set(e.Name, expand(e.Value, env))
			case e.ValueFrom.SecretKeyRef != nil:
				ref := e.ValueFrom.SecretKeyRef
				if ref.Name != secret.Name {
					t.Fatalf("env %s reads Secret %s, the flow creates %s", e.Name, ref.Name, secret.Name)
				}
				v, ok := secret.StringData[ref.Key]
				if !ok {
					t.Fatalf("env %s reads key %s, the Secret has none", e.Name, ref.Key)
				}
				set(e.Name, v)
			case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.labels['batch.kubernetes.io/controller-uid']":
				set(e.Name, jobUID)
			default:
				t.Fatalf("env %s: %+v is not simulated", e.Name, e.ValueFrom)
			}
		}
		p := pod{}
		for _, a := range c.Args {
			a = expand(a, env)
			if strings.HasPrefix(a, mount+"/") {
				a = resultsDir + a[len(mount):]
			}
			p.args = append(p.args, strings.ReplaceAll(a, "="+mount+"/", "="+resultsDir+"/"))
		}
		for _, k := range order {
			p.env = append(p.env, k+"="+env[k])
		}
		out = append(out, p)
	}
	return out
}

// runPods starts every pod at once, as parallelism = completions does,
// and waits for all; each must succeed.
func runPods(t *testing.T, bin string, ps []pod) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(ps))
	outs := make([][]byte, len(ps))
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, p.args...)
			cmd.Env = p.env
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pod %d (%v): %v\n%s", i, ps[i].args, err, outs[i])
		}
	}
}

// report runs `report` over files and reads its JSON.
func report(t *testing.T, bin, jsonPath string, files ...string) reports.LoadJSON {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"report", "--json", jsonPath}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("report %v: %v\n%s", files, err, out)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r reports.LoadJSON
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// results reads every result of the files, concatenated.
func results(t *testing.T, files []string) []vegeta.Result {
	t.Helper()
	var out []vegeta.Result
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		dec := vegeta.NewDecoder(f)
		for {
			var r vegeta.Result
			if err := dec.Decode(&r); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out = append(out, r)
		}
		f.Close()
	}
	return out
}

// nearestRank is the q-quantile of sorted values, the definition HDR
// histograms approximate (within 0.1%).
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func within(got, want time.Duration, rel float64) bool {
	d := float64(got - want)
	return d >= -rel*float64(want) && d <= rel*float64(want)
}

// The whole flow of deploy/kubernetes without a cluster: render the
// kustomization for N shards, run its N pods as local processes with the
// command and environment the Job gives them against the reference server,
// merge with `report`, and hold the merged run to the single-process one.
func TestSimulatedIndexedJob(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the tool as processes for about 20 s")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fixtures.Start(fixtures.WithAddr("127.0.0.1:0"), fixtures.WithRateLimit(target.Limit{N: 1 << 30, Window: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	keys := srv.Keys()
	secret := &corev1.Secret{StringData: map[string]string{"api-key": keys.Valid + "," + keys.Second}}
	secret.Name = "carpathian-api-key"

	// The single-process run the shards are held to.
	dir := t.TempDir()
	single := filepath.Join(dir, "single.bin")
	start := time.Now().Add(simLead / 2).UTC().Truncate(time.Second).Add(time.Second)
	cmd := exec.Command(bin, "load", "--base-url", srv.BaseURL(), "--api-key", keys.Valid+","+keys.Second,
		"--rate", fmt.Sprintf("%d/s", simRate), "--duration", simDuration.String(),
		"--start-at", start.Format(time.RFC3339), "--output", single)
	cmd.Env = []string{}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("single-process load: %v\n%s", err, out)
	}
	base := report(t, bin, filepath.Join(dir, "single.json"), single)
	t.Logf("single process: %d requests, %d slots, offered %.2f/s, %d missed slots, p50 %s p99 %s",
		base.Requests, base.Slots, base.OfferedRate, base.MissedSlots, base.Latencies.P50, base.Latencies.P99)

	runFiles := map[int][]string{}
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			resultsDir := t.TempDir()
			start := time.Now().Add(simLead).UTC().Truncate(time.Second).Add(time.Second)
			m := render(t, withValues(t, map[string]string{
				"CARPATHIAN_SHARDS":   strconv.Itoa(n),
				"CARPATHIAN_BASE_URL": srv.BaseURL(),
				"CARPATHIAN_RATE":     fmt.Sprintf("%d/s", simRate),
				"CARPATHIAN_DURATION": simDuration.String(),
				"CARPATHIAN_START_AT": start.Format(time.RFC3339),
			}))
			if got := *m.job.Spec.Completions; got != int32(n) {
				t.Fatalf("the Job runs %d pods, want %d", got, n)
			}
			runPods(t, bin, pods(t, m, secret, fmt.Sprintf("job-uid-%d", n), resultsDir))

			files, _ := filepath.Glob(filepath.Join(resultsDir, fmt.Sprintf("results-*of%d.bin", n)))
			if n == 1 {
				files = []string{filepath.Join(resultsDir, "results.bin")}
			}
			if len(files) != n {
				t.Fatalf("%d results files for %d shards: %v", len(files), n, files)
			}
			runFiles[n] = files
			merged := report(t, bin, filepath.Join(resultsDir, "merged.json"), files...)
			all := results(t, files)

			// Together the shards offered the profile's slots, each once:
			// as many as the single run (a run's last slot may go uncounted
			// when it ends during a stall, one per shard at most).
			if merged.Requests+merged.MissedSlots != merged.Slots {
				t.Errorf("%d requests + %d missed != %d slots", merged.Requests, merged.MissedSlots, merged.Slots)
			}
			planned := int64(simRate * simDuration.Seconds())
			if int64(merged.Slots) > planned || int64(merged.Slots) < planned-int64(n) {
				t.Errorf("merged %d slots, the profile has %d", merged.Slots, planned)
			}
			if d := int64(merged.Slots) - int64(base.Slots); d < -int64(n) || d > int64(n) {
				t.Errorf("merged %d slots, the single process %d", merged.Slots, base.Slots)
			}
			// The merged count is the single run's when neither run missed
			// slots; no 100 ms bucket (from the agreed start) holds more than
			// 1.1x its share when the shards sent on time.
			onSchedule := float64(base.MissedSlots) <= simOnSchedule*float64(base.Slots) &&
				float64(merged.MissedSlots) <= simOnSchedule*float64(merged.Slots)
			onTime := float64(merged.LateSends+merged.MissedSlots) <= simOnTime*float64(merged.Slots)
			diff := float64(merged.Requests) - float64(base.Requests)
			if onSchedule && (diff < -0.005*float64(base.Requests) || diff > 0.005*float64(base.Requests)) {
				t.Errorf("merged %d requests, the single process %d: more than 0.5%% apart", merged.Requests, base.Requests)
			}
			// The offered rate is the profile's: every slot, sent or missed.
			if merged.OfferedRate < 0.99*simRate || merged.OfferedRate > simRate*1.001 {
				t.Errorf("offered rate %.2f/s, the profile's is %d/s", merged.OfferedRate, simRate)
			}
			buckets := map[int64]int{}
			for _, r := range all {
				buckets[int64(r.Timestamp.Sub(start)/simBucket)]++
			}
			expected := float64(simRate) * simBucket.Seconds()
			worst, at := 0, int64(0)
			for b, c := range buckets {
				if c > worst {
					worst, at = c, b
				}
			}
			if onTime && float64(worst) > 1.1*expected {
				t.Errorf("the 100 ms bucket at +%s holds %d calls, more than 1.1 x %.0f", time.Duration(at)*simBucket, worst, expected)
			}
			if !onSchedule {
				t.Logf("N=%d: request counts not held to the single run: the busy machine made the runs miss %d and %d of %d slots (over %.1f%%)",
					n, base.MissedSlots, merged.MissedSlots, base.Slots, 100*simOnSchedule)
			}
			if !onTime {
				t.Logf("N=%d: buckets not judged: the busy machine made the shards send %d of %d slots late or never (over %.1f%%)",
					n, merged.LateSends+merged.MissedSlots, merged.Slots, 100*simOnTime)
			}
			// The merged percentiles are those of every result.
			lats := make([]time.Duration, len(all))
			for i, r := range all {
				lats[i] = r.Latency
			}
			slices.Sort(lats)
			for _, c := range []struct {
				name     string
				q        float64
				reported time.Duration
			}{{"p50", 0.5, merged.Latencies.P50}, {"p90", 0.9, merged.Latencies.P90}, {"p95", 0.95, merged.Latencies.P95}, {"p99", 0.99, merged.Latencies.P99}} {
				if want := nearestRank(lats, c.q); !within(c.reported, want, 0.001) {
					t.Errorf("merged %s %s, over the concatenated results %s", c.name, c.reported, want)
				}
			}
			if merged.Latencies.Min != lats[0] || merged.Latencies.Max != lats[len(lats)-1] {
				t.Errorf("merged min/max %s/%s, concatenated %s/%s", merged.Latencies.Min, merged.Latencies.Max, lats[0], lats[len(lats)-1])
			}
			if uint64(len(all)) != merged.Requests {
				t.Errorf("report counted %d requests, the files hold %d", merged.Requests, len(all))
			}
			t.Logf("N=%d: %d requests (single %d, %+.2f%%), offered %.2f/s, %d missed slots, %d late sends, fullest 100 ms bucket %d (at +%s) of %.0f expected, p50 %s p90 %s p99 %s (concatenated p99 %s)",
				n, merged.Requests, base.Requests, 100*diff/float64(base.Requests), merged.OfferedRate, merged.MissedSlots, merged.LateSends,
				worst, time.Duration(at)*simBucket, expected, merged.Latencies.P50, merged.Latencies.P90, merged.Latencies.P99, nearestRank(lats, 0.99))
		})
	}

	// Files of two runs (two Jobs) do not merge: one line, exit 2.
	if len(runFiles[3]) > 0 && len(runFiles[8]) > 0 {
		cmd := exec.Command(bin, "report", runFiles[3][0], runFiles[8][1])
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
			t.Errorf("report over two runs: exit %d, %q; want exit 2 and one line", code, out)
		}
	}
}
