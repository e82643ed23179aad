package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// validate checks v (decoded JSON) against schema for the subset of JSON
// Schema the report's schema uses. A keyword outside that subset is an error,
// so the schema cannot quietly rely on something this does not check.
func validate(root, schema map[string]any, v any, at string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	for k := range schema {
		switch k {
		case "$schema", "$id", "$defs", "title", "description", "format",
			"$ref", "type", "enum", "required", "properties", "additionalProperties", "items", "minimum":
		default:
			fail("schema keyword %q is not supported by the test validator", k)
		}
	}
	if ref, ok := schema["$ref"].(string); ok {
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		def, found := root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok || !found {
			fail("unresolved $ref %q", ref)
			return errs
		}
		return append(errs, validate(root, def, v, at)...)
	}
	if typ, ok := schema["type"].(string); ok && !hasType(v, typ) {
		fail("%v is not of type %s", v, typ)
		return errs
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		fail("%v is not one of %v", v, enum)
	}
	if min, ok := schema["minimum"].(float64); ok {
		if n, isNum := v.(float64); isNum && n < min {
			fail("%v is below the minimum %v", n, min)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		required, _ := schema["required"].([]any)
		for _, r := range required {
			if _, present := obj[r.(string)]; !present {
				fail("required property %q missing", r)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(root, ps, obj[k], at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %q is not in the schema", k)
				}
			case map[string]any:
				errs = append(errs, validate(root, ap, obj[k], at+"."+k)...)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range arr {
				errs = append(errs, validate(root, items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "number":
		_, ok := v.(float64)
		return ok
	}
	return false
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	var schema map[string]any
	if err := json.Unmarshal(ConformanceSchema, &schema); err != nil {
		t.Fatalf("embedded schema is not JSON: %v", err)
	}
	return schema
}

func reportJSON(t *testing.T, c *results.Conformance) any {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, c); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, b.String())
	}
	return v
}

func TestJSONReportMatchesItsSchema(t *testing.T) {
	schema := loadSchema(t)
	full := sampleConformance(true)
	full.Interrupted = true
	bare := &results.Conformance{} // a zero run: nil lists and map must still give a valid report
	bare.Clauses, _, _ = results.Aggregate(nil, false)
	for name, c := range map[string]*results.Conformance{"full": full, "bare": bare} {
		if errs := validate(schema, schema, reportJSON(t, c), "$"); len(errs) > 0 {
			t.Errorf("%s report breaks the schema:\n%s", name, strings.Join(errs, "\n"))
		}
	}
}

func TestSchemaValidatorRejects(t *testing.T) {
	schema := loadSchema(t)
	good := reportJSON(t, sampleConformance(false)).(map[string]any)
	breakages := map[string]func(m map[string]any){
		"missing field":   func(m map[string]any) { delete(m, "target") },
		"extra field":     func(m map[string]any) { m["api_key"] = "x" },
		"bad enum":        func(m map[string]any) { m["clauses"].([]any)[0].(map[string]any)["verdict"] = "OK" },
		"wrong type":      func(m map[string]any) { m["calls"] = "131" },
		"non-integer":     func(m map[string]any) { m["tokens"] = 1.5 },
		"negative":        func(m map[string]any) { m["calls"] = -1.0 },
		"bad nested item": func(m map[string]any) { m["clauses"].([]any)[1].(map[string]any)["specs"] = []any{map[string]any{}} },
	}
	for name, breakIt := range breakages {
		v := reportJSON(t, sampleConformance(false)).(map[string]any)
		breakIt(v)
		if errs := validate(schema, schema, v, "$"); len(errs) == 0 {
			t.Errorf("%s: the validator accepted a broken report", name)
		}
	}
	if errs := validate(schema, schema, good, "$"); len(errs) > 0 {
		t.Errorf("good report rejected: %v", errs)
	}
}

// TestSchemaNamesEveryField catches a field added to the model (or to
// target.Evidence) without a schema update, even one that is empty here.
func TestSchemaNamesEveryField(t *testing.T) {
	schema := loadSchema(t)
	defs := schema["$defs"].(map[string]any)
	for typ, props := range map[reflect.Type]any{
		reflect.TypeFor[results.Conformance]():  schema["properties"],
		reflect.TypeFor[results.ClauseResult](): defs["clause"].(map[string]any)["properties"],
		reflect.TypeFor[results.SpecResult]():   defs["spec"].(map[string]any)["properties"],
		reflect.TypeFor[target.Evidence]():      defs["evidence"].(map[string]any)["properties"],
	} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if _, ok := props.(map[string]any)[name]; !ok {
				t.Errorf("%s.%s (json %q) is not in the schema", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
}

func TestJSONReportRoundTrips(t *testing.T) {
	c := sampleConformance(false)
	var b bytes.Buffer
	if err := WriteJSON(&b, c); err != nil {
		t.Fatal(err)
	}
	var back results.Conformance
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != results.SchemaConformance || len(back.Clauses) != len(c.Clauses) || back.Counts[results.Fail] != 1 || back.ExitCode != 1 || !back.Started.Equal(c.Started) {
		t.Errorf("round trip lost data: %+v", back)
	}
	r2, ok := back.Clause("ROUTE-2")
	if !ok || len(r2.Specs) != 2 || len(r2.Specs[1].Evidence) != 1 || r2.Specs[1].Evidence[0].Status != 404 {
		t.Errorf("ROUTE-2 evidence lost: %+v", r2.Specs)
	}
	if !strings.Contains(b.String(), "<html>") {
		t.Error("bodies should stay legible (no HTML escaping)")
	}
}
