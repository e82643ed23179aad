package results

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/internal/output"
)

// Waiver accepts a known failure for a while: a clause, or one spec (by its
// name, optionally within a clause), with why, who answers for it and the
// last day it holds. A waiver file (--waivers) lists them:
//
//	waivers:
//	  - clause: RATE-4
//	    reason: the gateway drops Retry-After; vendor ticket GW-1234
//	    owner: platform-team
//	    expires: 2026-12-31
type Waiver struct {
	Clause  string `json:"clause,omitempty"`
	Spec    string `json:"spec,omitempty"`
	Reason  string `json:"reason"`
	Owner   string `json:"owner"`
	Expires string `json:"expires"`          // YYYY-MM-DD, the last day it holds (UTC)
	Source  string `json:"source,omitempty"` // file:line it was read from
}

// What names what the waiver covers: "RATE-4" or "spec "…" (RATE-4)".
func (w Waiver) What() string {
	switch {
	case w.Spec == "":
		return w.Clause
	case w.Clause == "":
		return fmt.Sprintf("spec %q", w.Spec)
	}
	return fmt.Sprintf("spec %q (%s)", w.Spec, w.Clause)
}

// ExpiredOn tells whether the waiver no longer holds on the day of now (UTC).
func (w Waiver) ExpiredOn(now time.Time) bool {
	return w.Expires < now.UTC().Format(dateLayout) // ISO dates order as strings
}

// WaiverState is what a waiver did to a run.
type WaiverState string

const (
	WaiverApplied WaiverState = "applied" // it waived at least one failure
	WaiverExpired WaiverState = "expired" // past its date: it waived nothing
	WaiverStale   WaiverState = "stale"   // nothing it names failed: remove it
)

// WaiverOutcome is one waiver's fate in a run, for every report to show.
type WaiverOutcome struct {
	Waiver
	State WaiverState `json:"state"`
	Note  string      `json:"note"` // one line: what it waived, or why nothing
}

// ClauseWaiver is the waiver that made a clause WAIVED, and the verdict it
// would have had.
type ClauseWaiver struct {
	Was Verdict `json:"was"`
	Waiver
}

// ApplyWaivers turns the failures the waivers accept into WAIVED (a clause
// waiver takes the whole clause; spec waivers take a clause when they cover
// every violated or errored spec in it), records each waiver's outcome and
// recounts the verdicts and the exit code. An expired waiver waives nothing;
// one that matches no failure is stale. now decides expiry.
func ApplyWaivers(c *Conformance, waivers []Waiver, now time.Time) {
	c.Waivers = nil
	covering := make(map[int]*Waiver) // clause index -> a waiver covering it whole
	for i := range waivers {
		w := &waivers[i]
		out := WaiverOutcome{Waiver: *w}
		if w.ExpiredOn(now) {
			out.State = WaiverExpired
			out.Note = fmt.Sprintf("expired on %s: waives nothing", w.Expires)
			if hits := matches(c, w); len(hits) > 0 {
				out.Note += ", so " + strings.Join(hits, ", ") + " counts"
			}
			out.Note += fmt.Sprintf("; renew it or fix %s", w.What())
			c.Waivers = append(c.Waivers, out)
			continue
		}
		var hits []string
		for ci := range c.Clauses {
			cr := &c.Clauses[ci]
			if !cr.Verdict.Broken() || !clauseMatches(w, cr.ID) {
				continue
			}
			if w.Spec == "" {
				if covering[ci] == nil {
					covering[ci] = w
				}
				hits = append(hits, string(cr.Verdict)+" "+cr.ID)
				continue
			}
			for si := range cr.Specs {
				if s := &cr.Specs[si]; s.Name == w.Spec && breaking(s.Outcome) {
					s.Waived = true
					hits = append(hits, string(cr.Verdict)+" "+cr.ID)
				}
			}
		}
		if len(hits) == 0 {
			out.State = WaiverStale
			out.Note = fmt.Sprintf("matches no failure: %s %s; remove the waiver", w.What(), currently(c, w))
		} else {
			out.State = WaiverApplied
			out.Note = "waives " + strings.Join(hits, ", ")
		}
		c.Waivers = append(c.Waivers, out)
	}
	for ci := range c.Clauses {
		cr := &c.Clauses[ci]
		if !cr.Verdict.Broken() {
			continue
		}
		w := covering[ci]
		if w == nil {
			w = specsCovered(cr, waivers)
		}
		if w == nil {
			continue
		}
		cr.Waiver = &ClauseWaiver{Was: cr.Verdict, Waiver: *w}
		cr.Verdict = Waived
		for si := range cr.Specs {
			if breaking(cr.Specs[si].Outcome) {
				cr.Specs[si].Waived = true
			}
		}
	}
	c.Counts = CountVerdicts(c.Clauses)
	c.ExitCode = ExitCode(c.Counts)
}

// breaking tells whether a spec outcome is one that breaks its clause.
func breaking(o Outcome) bool { return o == OutcomeViolated || o == OutcomeErrored }

func clauseMatches(w *Waiver, id string) bool {
	return w.Clause == "" || strings.EqualFold(w.Clause, id)
}

// specsCovered is the first spec waiver of a clause whose breaking specs are
// all waived, or nil.
func specsCovered(cr *ClauseResult, waivers []Waiver) *Waiver {
	var first *Waiver
	for _, s := range cr.Specs {
		if !breaking(s.Outcome) {
			continue
		}
		if !s.Waived {
			return nil
		}
		if first == nil {
			for i := range waivers {
				if waivers[i].Spec == s.Name && clauseMatches(&waivers[i], cr.ID) {
					first = &waivers[i]
					break
				}
			}
		}
	}
	return first
}

// matches lists the failures a waiver names, as "FAIL RATE-4".
func matches(c *Conformance, w *Waiver) []string {
	var out []string
	for _, cr := range c.Clauses {
		if !cr.Verdict.Broken() || !clauseMatches(w, cr.ID) {
			continue
		}
		if w.Spec == "" {
			out = append(out, string(cr.Verdict)+" "+cr.ID)
			continue
		}
		for _, s := range cr.Specs {
			if s.Name == w.Spec && breaking(s.Outcome) {
				out = append(out, string(cr.Verdict)+" "+cr.ID)
			}
		}
	}
	return out
}

// currently says what a stale waiver's clause or spec is now.
func currently(c *Conformance, w *Waiver) string {
	for _, cr := range c.Clauses {
		if w.Spec == "" && strings.EqualFold(cr.ID, w.Clause) {
			return "is " + string(cr.Verdict)
		}
		for _, s := range cr.Specs {
			if w.Spec != "" && s.Name == w.Spec && clauseMatches(w, cr.ID) {
				return "was " + string(s.Outcome)
			}
		}
	}
	return "was not run"
}

const dateLayout = "2006-01-02"

// waiverKeys are the keys a waiver entry may have.
var waiverKeys = []string{"clause", "spec", "reason", "owner", "expires"}

// LoadWaivers reads a waiver file. Anything wrong is one error naming
// file:line and what to write instead.
func LoadWaivers(path string) ([]Waiver, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--waivers %s: %v", path, output.Reason(err))
	}
	return ParseWaivers(path, data)
}

// ParseWaivers reads a waiver file's content; name is the file's name, for
// errors.
func ParseWaivers(name string, data []byte) ([]Waiver, error) {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		return nil, fail(line, "not YAML: %s", msg)
	}
	if len(doc.Content) == 0 {
		return nil, fail(1, "no waivers: write 'waivers:' and a list of entries with clause or spec, reason, owner, expires")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fail(root.Line, "the file is a mapping with one key, 'waivers:', holding a list")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "waivers" {
			return nil, fail(k.Line, "unknown key %q: the file holds only 'waivers:'", k.Value)
		}
		list = v
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		line := root.Line
		if list != nil {
			line = list.Line
		}
		return nil, fail(line, "'waivers:' must be a list of entries (each starting with '- ')")
	}
	var out []Waiver
	for n, entry := range list.Content {
		if entry.Kind != yaml.MappingNode {
			return nil, fail(entry.Line, "waiver %d: an entry is a mapping of %s", n+1, strings.Join(waiverKeys, ", "))
		}
		w := Waiver{Source: fmt.Sprintf("%s:%d", name, entry.Line)}
		fields := map[string]*string{"clause": &w.Clause, "spec": &w.Spec, "reason": &w.Reason, "owner": &w.Owner, "expires": &w.Expires}
		seen := map[string]bool{}
		for i := 0; i+1 < len(entry.Content); i += 2 {
			k, v := entry.Content[i], entry.Content[i+1]
			dst, ok := fields[k.Value]
			switch {
			case !ok:
				return nil, fail(k.Line, "waiver %d: unknown key %q: use %s", n+1, k.Value, strings.Join(waiverKeys, ", "))
			case seen[k.Value]:
				return nil, fail(k.Line, "waiver %d: %s given twice", n+1, k.Value)
			case v.Kind != yaml.ScalarNode:
				return nil, fail(v.Line, "waiver %d: %s must be a single value", n+1, k.Value)
			}
			seen[k.Value] = true
			*dst = strings.TrimSpace(v.Value)
		}
		w.Clause = strings.ToUpper(w.Clause)
		switch {
		case w.Clause == "" && w.Spec == "":
			return nil, fail(entry.Line, "waiver %d: name a clause (clause: RATE-4) or a spec (spec: its name as the report shows it)", n+1)
		case w.Reason == "":
			return nil, fail(entry.Line, "waiver %d (%s): no reason: say why the failure is accepted", n+1, w.What())
		case w.Owner == "":
			return nil, fail(entry.Line, "waiver %d (%s): no owner: say who answers for it", n+1, w.What())
		case w.Expires == "":
			return nil, fail(entry.Line, "waiver %d (%s): no expires date: give the last day it holds, like 2026-12-31", n+1, w.What())
		}
		if _, err := time.Parse(dateLayout, w.Expires); err != nil {
			return nil, fail(lineOf(entry, "expires"), "waiver %d (%s): expires %q is not a date like 2026-12-31", n+1, w.What(), w.Expires)
		}
		if _, ok := contract.Lookup(w.Clause); w.Clause != "" && !ok {
			return nil, fail(lineOf(entry, "clause"), "waiver %d: %s is not a clause of the contract (see --list)", n+1, w.Clause)
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, fail(list.Line, "the waiver list is empty")
	}
	return out, nil
}

// lineOf is the line of key's value in a mapping node.
func lineOf(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1].Line
		}
	}
	return m.Line
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlErrorLine splits yaml's "yaml: line 3: message" into 3 and message.
func yamlErrorLine(err error) (int, string) {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return 1, msg
	}
	line, _ := strconv.Atoi(m[1])
	return max(line, 1), m[2]
}
