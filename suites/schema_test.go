package suites_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/reports"
)

// validateSchema checks a JSON document against reports.ConformanceSchema,
// for the keywords that schema uses: $ref, type, enum, required,
// properties, additionalProperties, items, minimum.
func validateSchema(doc []byte) error {
	var schema, v any
	if err := json.Unmarshal(reports.ConformanceSchema, &schema); err != nil {
		return fmt.Errorf("the schema itself: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	root := schema.(map[string]any)
	return validate(root, root, v, "$")
}

func validate(root, s map[string]any, v any, at string) error {
	if ref, ok := s["$ref"].(string); ok {
		def := root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			def, _ = def[part].(map[string]any)
		}
		if def == nil {
			return fmt.Errorf("%s: unresolved $ref %s", at, ref)
		}
		return validate(root, def, v, at)
	}
	if t, ok := s["type"]; ok && !hasType(t, v) {
		return fmt.Errorf("%s: %T is not of type %v", at, v, t)
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(v)
		}
		if !found {
			return fmt.Errorf("%s: %v is not one of %v", at, v, enum)
		}
	}
	if min, ok := s["minimum"].(float64); ok {
		if n, ok := v.(json.Number); ok {
			if f, _ := n.Float64(); f < min {
				return fmt.Errorf("%s: %v < minimum %v", at, f, min)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		for _, r := range asSlice(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: required %q missing", at, r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range obj {
			if ps, ok := props[k].(map[string]any); ok {
				if err := validate(root, ps, val, at+"."+k); err != nil {
					return err
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Errorf("%s: property %q is not in the schema", at, k)
				}
			case map[string]any:
				if err := validate(root, ap, val, at+"."+k); err != nil {
					return err
				}
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range arr {
				if err := validate(root, items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func hasType(t, v any) bool {
	for _, name := range asSlice(t) {
		switch name {
		case "object":
			_, ok := v.(map[string]any)
			if ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "null":
			if v == nil {
				return true
			}
		case "number":
			if _, ok := v.(json.Number); ok {
				return true
			}
		case "integer":
			if n, ok := v.(json.Number); ok {
				if _, err := n.Int64(); err == nil {
					return true
				}
			}
		}
	}
	return false
}

func asSlice(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	}
	return []any{v}
}

func TestSchemaValidatorRejects(t *testing.T) {
	good := `{"schema":"carpathian-conform/conformance/v2","tool_version":"dev","target":"http://h/ai","embedded":false,
"rate_limit":"60/1m","strict":false,"started":"2026-01-01T00:00:00Z","finished":"2026-01-01T00:00:01Z","clauses":[],
"counts":{"PASS":0,"FAIL":0,"WARN":0,"INFO":0,"SKIP":0,"ERROR":0,"WAIVED":0},"calls":0,"max_calls":0,"waited_429":0,"tokens":0,"exit_code":0}`
	if err := validateSchema([]byte(good)); err != nil {
		t.Fatalf("a good report: %v", err)
	}
	for name, bad := range map[string]string{
		"missing calls":  strings.Replace(good, `"calls":0,`, "", 1),
		"extra property": strings.Replace(good, `"calls":0,`, `"calls":0,"key":"cai_x",`, 1),
		"wrong schema":   strings.Replace(good, `conformance/v2`, `conformance/v0`, 1),
		"string count":   strings.Replace(good, `"PASS":0`, `"PASS":"0"`, 1),
		"negative":       strings.Replace(good, `"FAIL":0`, `"FAIL":-1`, 1),
	} {
		if validateSchema([]byte(bad)) == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
