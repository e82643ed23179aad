package cmd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The linker drops unreachable methods, unless a reachable function calls
// reflect's Method or MethodByName with a name it cannot see (the compiler
// marks such a function <ReflectMethod>): then it keeps every exported
// method of every reachable type, and a binary linking the OpenAI SDK grows
// by megabytes of text (golang/go#72895). Template execution is such a
// caller (text/template.(*state).evalField), which is why no report and no
// help text executes a text or html template.

// linkGraph is the linker's dependency dump (-ldflags=-dumpdep): who keeps
// whom alive.
type linkGraph struct {
	edges         map[string][]string
	reflectMethod map[string]bool // marked <ReflectMethod>
}

// dumpdepSuffix is the attributes the linker appends to a symbol's name.
var dumpdepSuffix = regexp.MustCompile(`( <[A-Za-z]+>)+$`)

// parseDumpdep reads "from -> to" lines; lines that are no edge (the
// package header, build output) are ignored.
func parseDumpdep(r io.Reader) (*linkGraph, error) {
	g := &linkGraph{edges: map[string][]string{}, reflectMethod: map[string]bool{}}
	sym := func(s string) string {
		attrs := dumpdepSuffix.FindString(s)
		name := strings.TrimSuffix(s, attrs)
		if strings.Contains(attrs, "<ReflectMethod>") {
			g.reflectMethod[name] = true
		}
		return name
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		// A callee may be a string constant holding " -> "; a caller never is.
		from, to, ok := strings.Cut(sc.Text(), " -> ")
		if !ok {
			continue
		}
		f := sym(from)
		g.edges[f] = append(g.edges[f], sym(to))
	}
	return g, sc.Err()
}

// reachable is every symbol reachable from root, each with the symbol that
// first reached it (breadth first, so the chains are shortest).
func (g *linkGraph) reachable(root string) map[string]string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, t := range g.edges[s] {
			if _, seen := parent[t]; !seen {
				parent[t] = s
				queue = append(queue, t)
			}
		}
	}
	return parent
}

// chain is the path from the root to s, root first.
func chain(parent map[string]string, s string) []string {
	var out []string
	for ; s != ""; s = parent[s] {
		out = append(out, s)
	}
	slices.Reverse(out)
	return out
}

// reflectMethodChains is, for each symbol marked <ReflectMethod> reachable
// from the linker's root "_", the chain of callers that keeps it. Any one
// makes the linker keep every exported method (cmd/link deadcode.go,
// reflectSeen).
func reflectMethodChains(g *linkGraph) map[string][]string {
	parent := g.reachable("_")
	out := map[string][]string{}
	for s := range g.reflectMethod {
		if _, ok := parent[s]; ok {
			out[s] = chain(parent, s)
		}
	}
	return out
}

// reflectMethodCulprits are the marked symbols to blame, sorted: those
// outside package reflect (in practice text/template.(*state).evalField).
// reflect's own marked functions (its Methods iterators' closures, the
// pointer wrappers of Value.Method) are reached through method tables once
// every method is kept, so they are blamed only when nothing else is.
func reflectMethodCulprits(chains map[string][]string) []string {
	var outside, inside []string
	for s := range chains {
		if strings.HasPrefix(s, "reflect.") {
			inside = append(inside, s)
		} else {
			outside = append(outside, s)
		}
	}
	if len(outside) == 0 {
		outside = inside
	}
	slices.Sort(outside)
	return outside
}

func TestReflectMethodChains(t *testing.T) {
	dump := `# example
_ -> _rt0_amd64_linux
_rt0_amd64_linux -> main.main
main.main -> report.write
report.write -> text/template.(*Template).Execute
text/template.(*Template).Execute -> text/template.(*state).evalField <ReflectMethod>
text/template.(*state).evalField <ReflectMethod> -> go:string."a -> b"
type:reflect.Value <UsedInIface> -> reflect.Value.Methods.func1 <ReflectMethod>
main.main -> type:reflect.Value <UsedInIface>
dead.caller -> dead.f <ReflectMethod>
`
	g, err := parseDumpdep(strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	got := reflectMethodChains(g)
	want := map[string][]string{
		"text/template.(*state).evalField": {"_", "_rt0_amd64_linux", "main.main", "report.write",
			"text/template.(*Template).Execute", "text/template.(*state).evalField"},
		"reflect.Value.Methods.func1": {"_", "_rt0_amd64_linux", "main.main", "type:reflect.Value", "reflect.Value.Methods.func1"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if c := reflectMethodCulprits(got); !slices.Equal(c, []string{"text/template.(*state).evalField"}) {
		t.Errorf("blamed %v, want the template alone", c)
	}
	delete(got, "text/template.(*state).evalField")
	if c := reflectMethodCulprits(got); !slices.Equal(c, []string{"reflect.Value.Methods.func1"}) {
		t.Errorf("blamed %v, want reflect's own when nothing else is marked", c)
	}
}

// No function that calls a method by a computed name is linked into the
// binary: in practice, no template is ever executed. It links the binary
// with the linker's dependency dump; the compiled packages come from the
// build cache `make build` and the other tests fill.
func TestBinaryKeepsDeadMethodsDead(t *testing.T) {
	started := time.Now()
	bin := t.TempDir() + "/carpathian-conform"
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-dumpdep", "-o", bin, "./carpathian-conform")
	var dump bytes.Buffer
	build.Stderr = &dump
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v\n%s", err, lastLines(dump.String(), 20))
	}
	g, err := parseDumpdep(&dump)
	if err != nil {
		t.Fatal(err)
	}
	// The dump's format is the linker's, not a promise: make sure it still
	// reads as a graph before trusting that nothing bad is in it.
	if _, ok := g.reachable("_")["main.main"]; !ok {
		t.Fatalf("main.main is not reachable from _ in the linker's dump (%d symbols with edges): did -dumpdep's format change?", len(g.edges))
	}
	chains := reflectMethodChains(g)
	for _, s := range reflectMethodCulprits(chains) {
		t.Errorf("%s calls a method by a computed name and is reachable, so the linker keeps every exported method of every reachable type; kept by:\n\t%s",
			s, strings.Join(chains[s], "\n\t-> "))
	}
	t.Logf("linked with -dumpdep and checked in %s", time.Since(started).Round(time.Millisecond))
}

// lastLines is the end of a long output.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
