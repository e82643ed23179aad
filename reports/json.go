package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// ConformanceSchema is the JSON Schema (draft 2020-12) of the JSON report,
// SchemaConformance.
//
//go:embed schema/conformance.v2.json
var ConformanceSchema []byte

// WriteJSON writes the run as indented JSON, schema SchemaConformance.
func WriteJSON(w io.Writer, c *results.Conformance) error {
	return render(w, func(b *bytes.Buffer) error {
		enc := json.NewEncoder(b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // bodies hold HTML and JSON; keep them legible
		return enc.Encode(complete(c))
	})
}

// complete is a copy of c that keeps the schema: the schema named, empty
// lists rather than null, every verdict counted, a target without
// credentials.
func complete(c *results.Conformance) *results.Conformance {
	out := *c
	if out.Schema == "" {
		out.Schema = results.SchemaConformance
	}
	out.Target = safeURL(c.Target)
	out.Clauses = make([]results.ClauseResult, len(c.Clauses))
	for i, cr := range c.Clauses {
		if cr.Specs == nil {
			cr.Specs = []results.SpecResult{}
		}
		out.Clauses[i] = cr
	}
	out.Counts = results.CountVerdicts(c.Clauses)
	return &out
}
