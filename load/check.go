package load

import (
	"net/http"
)

// Violation is one contract clause a sampled reply broke.
type Violation struct {
	Clause string `json:"clause"` // e.g. "CHAT-3"
	Detail string `json:"detail"`
}

// ResponseChecker checks a successful chat reply against the contract's CHAT
// clauses (conformance under load). The suites package owns the checks; a run
// only samples replies and counts what a checker reports. It is called from
// one goroutine.
type ResponseChecker interface {
	CheckChat(request []byte, status int, header http.Header, body []byte) []Violation
}

// CheckerFunc adapts a function to ResponseChecker.
type CheckerFunc func(request []byte, status int, header http.Header, body []byte) []Violation

// CheckChat implements ResponseChecker.
func (f CheckerFunc) CheckChat(request []byte, status int, header http.Header, body []byte) []Violation {
	return f(request, status, header, body)
}

// DefaultSampleEvery is how many successful chat replies there are per
// checked one.
const DefaultSampleEvery = 20

// MaxViolationExamples caps the violations a summary keeps as examples.
const MaxViolationExamples = 5

// Conformance is what sampled replies showed (a run's metadata carries it
// as JSON, for report to merge shards).
type Conformance struct {
	Checked   bool              `json:"checked"`      // a checker was set
	Every     int               `json:"sample_every"` // one successful reply in Every was checked
	Sampled   uint64            `json:"sampled"`      // replies checked
	Violating uint64            `json:"violating"`    // replies with at least one violation
	ByClause  map[string]uint64 `json:"by_clause"`
	Examples  []Violation       `json:"examples"`
}

// sampler checks one successful chat reply in every n.
type sampler struct {
	checker ResponseChecker
	every   uint64
	seen    uint64
	c       Conformance
}

func newSampler(checker ResponseChecker, every int) *sampler {
	if every < 1 {
		every = DefaultSampleEvery
	}
	return &sampler{checker: checker, every: uint64(every),
		c: Conformance{Checked: checker != nil, Every: every, ByClause: map[string]uint64{}}}
}

func (s *sampler) add(h *Hit, request []byte) {
	if s.checker == nil || h.Outcome != Success || h.BodyIndex < 0 {
		return
	}
	s.seen++
	if (s.seen-1)%s.every != 0 {
		return
	}
	s.c.Sampled++
	vs := s.checker.CheckChat(request, int(h.Code), h.Headers, h.Result.Body)
	if len(vs) == 0 {
		return
	}
	s.c.Violating++
	for _, v := range vs {
		s.c.ByClause[v.Clause]++
		if len(s.c.Examples) < MaxViolationExamples {
			s.c.Examples = append(s.c.Examples, v)
		}
	}
}

func (s *sampler) summary() Conformance {
	c := s.c
	c.ByClause = copyMap(s.c.ByClause)
	c.Examples = append([]Violation(nil), s.c.Examples...)
	return c
}
