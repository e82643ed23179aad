package cmd

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A build with -tags loadonly is the load half alone: the bench runs it
// beside the one binary to show what linking the conformance half (Ginkgo,
// the OpenAI SDK) costs load in memory. It must build, and must leave those
// out, or the comparison means nothing.
func TestLoadOnlyBuildLeavesTheConformanceHalfOut(t *testing.T) {
	list := exec.Command("go", "list", "-tags", "loadonly", "-deps", "./carpathian-conform")
	out, err := list.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -tags loadonly: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{"github.com/onsi/ginkgo", "github.com/openai/openai-go", "github.com/carpathian-ai/carpathian-conform/suites"} {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("the loadonly build links %s", pkg)
			}
		}
	}
	build := exec.Command("go", "build", "-tags", "loadonly", "-o", os.DevNull, "./carpathian-conform")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags loadonly: %v\n%s", err, out)
	}
}
