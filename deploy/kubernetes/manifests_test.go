// Package kubernetes holds the manifests that run a load as an Indexed Job;
// its tests render them with kustomize, decode them strictly into the
// Kubernetes API types and run the Job's pods as local processes.
package kubernetes

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// manifests is a rendered kustomization, decoded.
type manifests struct {
	job       *batchv1.Job
	configMap *corev1.ConfigMap
	pvc       *corev1.PersistentVolumeClaim
}

// render builds the kustomization in dir as `kubectl apply -k` would and
// decodes every object strictly: an unknown or misspelt field fails.
func render(t *testing.T, dir string) manifests {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var m manifests
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var into any
		switch r.GetKind() {
		case "Job":
			m.job = &batchv1.Job{}
			into = m.job
		case "ConfigMap":
			m.configMap = &corev1.ConfigMap{}
			into = m.configMap
		case "PersistentVolumeClaim":
			m.pvc = &corev1.PersistentVolumeClaim{}
			into = m.pvc
		default:
			t.Fatalf("unexpected %s %s in the kustomization", r.GetKind(), r.GetName())
		}
		if err := yaml.UnmarshalStrict(y, into); err != nil {
			t.Fatalf("%s %s does not decode strictly: %v\n%s", r.GetKind(), r.GetName(), err, y)
		}
	}
	if m.job == nil || m.configMap == nil || m.pvc == nil {
		t.Fatalf("the kustomization lacks the Job, its ConfigMap or the results volume claim")
	}
	return m
}

// withValues copies the kustomization to a temporary directory with some of
// its ConfigMap literals changed, as a user edits them for a run.
func withValues(t *testing.T, values map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := os.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "kustomization.yaml" {
			b = setLiterals(t, b, values)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// setLiterals replaces the configMapGenerator literals NAME=... named in
// values; each must exist.
func setLiterals(t *testing.T, kustomization []byte, values map[string]string) []byte {
	t.Helper()
	lines := strings.Split(string(kustomization), "\n")
	for name, v := range values {
		found := false
		for i, l := range lines {
			trimmed := strings.TrimSpace(l)
			if strings.HasPrefix(trimmed, "- "+name+"=") {
				lines[i] = l[:strings.Index(l, "- ")] + "- " + name + "=" + v
				found = true
			}
		}
		if !found {
			t.Fatalf("kustomization.yaml has no literal %s", name)
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// The checked-in kustomization renders into valid objects that make an
// Indexed Job of N pods, each passing its index to --shard, with the key
// from a Secret and the results on the shared claim.
func TestManifestsRenderIntoAnIndexedJob(t *testing.T) {
	m := render(t, ".")
	job := m.job
	n := m.configMap.Data["CARPATHIAN_SHARDS"]
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || fmt.Sprint(*spec.Completions) != n || fmt.Sprint(*spec.Parallelism) != n {
		t.Errorf("completions %v parallelism %v, want both CARPATHIAN_SHARDS=%s", spec.Completions, spec.Parallelism, n)
	}
	if spec.BackoffLimit == nil || *spec.BackoffLimit != 0 {
		t.Errorf("backoffLimit %v: a retried shard would offer its slots twice", spec.BackoffLimit)
	}
	pod := spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !slices.Contains(c.Args, "--shard=$(JOB_COMPLETION_INDEX)/$(CARPATHIAN_SHARDS)") || c.Args[0] != "load" {
		t.Errorf("args %v: want load --shard=$(JOB_COMPLETION_INDEX)/$(CARPATHIAN_SHARDS)", c.Args)
	}
	var keyFromSecret bool
	for _, e := range c.Env {
		if e.Name == "CARPATHIAN_API_KEY" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.Value == "" {
			keyFromSecret = true
		}
	}
	if !keyFromSecret {
		t.Error("CARPATHIAN_API_KEY does not come from a Secret")
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != m.configMap.Name {
		t.Errorf("envFrom %+v does not name the generated ConfigMap %s", c.EnvFrom, m.configMap.Name)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].PersistentVolumeClaim == nil || pod.Volumes[0].PersistentVolumeClaim.ClaimName != m.pvc.Name {
		t.Errorf("volumes %+v: want the results claim %s", pod.Volumes, m.pvc.Name)
	}
	if !slices.Contains(m.pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("results claim %v: pods on several nodes need ReadWriteMany", m.pvc.Spec.AccessModes)
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the pods may run as root")
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s", pod.RestartPolicy)
	}
}

// The collect pod, applied on its own, decodes strictly too and mounts the
// same claim.
func TestCollectPodDecodes(t *testing.T) {
	b, err := os.ReadFile("collect.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(b, &pod); err != nil {
		t.Fatal(err)
	}
	m := render(t, ".")
	if len(pod.Spec.Volumes) != 1 || pod.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != m.pvc.Name {
		t.Errorf("the collect pod does not mount %s", m.pvc.Name)
	}
}

func TestSettingShardsSetsTheJob(t *testing.T) {
	m := render(t, withValues(t, map[string]string{"CARPATHIAN_SHARDS": "3"}))
	if *m.job.Spec.Completions != 3 || *m.job.Spec.Parallelism != 3 {
		t.Errorf("completions %d parallelism %d, want 3", *m.job.Spec.Completions, *m.job.Spec.Parallelism)
	}
}
