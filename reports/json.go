package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
)

// ConformanceSchema is the JSON Schema (draft 2020-12) of the JSON report,
// SchemaConformance.
//
//go:embed schema/conformance.v1.json
var ConformanceSchema []byte

// WriteJSON writes the run as indented JSON, schema SchemaConformance.
func WriteJSON(w io.Writer, c *Conformance) error {
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
func complete(c *Conformance) *Conformance {
	out := *c
	if out.Schema == "" {
		out.Schema = SchemaConformance
	}
	out.Target = safeURL(c.Target)
	out.Clauses = make([]ClauseResult, len(c.Clauses))
	for i, cr := range c.Clauses {
		if cr.Specs == nil {
			cr.Specs = []SpecResult{}
		}
		out.Clauses[i] = cr
	}
	out.Counts = CountVerdicts(c.Clauses)
	return &out
}
