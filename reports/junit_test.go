package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// parsedJUnit is the JUnit shape as a CI system reads it, declared apart
// from the writer's types so the test checks the document, not the structs.
type parsedJUnit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, c *results.Conformance) parsedJUnit {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, c); err != nil {
		t.Fatal(err)
	}
	var doc parsedJUnit
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, b.String())
	}
	return doc
}

func TestJUnitCountsAndCases(t *testing.T) {
	for _, strict := range []bool{false, true} {
		c := sampleConformance(strict)
		doc := parseJUnit(t, c)
		wantFail := c.Counts[results.Fail]
		if doc.Tests != len(c.Clauses) || doc.Failures != wantFail || doc.Errors != c.Counts[results.Error] || doc.Skipped != c.Counts[results.Skip] {
			t.Errorf("strict=%v: tests=%d failures=%d errors=%d skipped=%d; counts %v", strict, doc.Tests, doc.Failures, doc.Errors, doc.Skipped, c.Counts)
		}
		cases, suiteTests, suiteFailures := 0, 0, 0
		byName := map[string]int{}
		for si, s := range doc.Suites {
			suiteTests += s.Tests
			suiteFailures += s.Failures
			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			if props["target"] != c.Target || props["model"] != c.Model || props["tool_version"] != c.ToolVersion || props["rate_limit"] != "60/1m" {
				t.Errorf("suite %s properties %v", s.Name, props)
			}
			for ci, tc := range s.Cases {
				cases++
				if tc.ClassName != s.Name {
					t.Errorf("%s: classname %q in suite %q", tc.Name, tc.ClassName, s.Name)
				}
				byName[strings.Fields(tc.Name)[0]] = si*1000 + ci
			}
		}
		if cases != len(c.Clauses) || suiteTests != doc.Tests || suiteFailures != doc.Failures {
			t.Errorf("strict=%v: %d cases, suites sum to %d tests %d failures", strict, cases, suiteTests, suiteFailures)
		}
		get := func(id string) (s, ci int) { k := byName[id]; return k / 1000, k % 1000 }

		si, ci := get("ROUTE-2")
		r2 := doc.Suites[si].Cases[ci]
		if r2.Name != "ROUTE-2 chat aliases answer the same chat-completion shape" || r2.Failure == nil ||
			!strings.HasPrefix(r2.Failure.Message, "POST https://gw.example.internal/staging/ai/chat answered 404") {
			t.Errorf("ROUTE-2 case: %+v", r2)
		}
		// The failure body is what CI annotations show: reason, exchange, curl.
		for _, want := range []string{"POST {root}/chat answers a chat completion: POST https://gw.example.internal/staging/ai/chat answered 404",
			"POST https://gw.example.internal/staging/ai/chat → 404", "< <html>", "$ curl -sS -i -X POST", "$CARPATHIAN_API_KEY"} {
			if r2.Failure != nil && !strings.Contains(r2.Failure.Text, want) {
				t.Errorf("ROUTE-2 failure body lacks %q", want)
			}
		}

		si, ci = get("RATE-4")
		r4 := doc.Suites[si].Cases[ci]
		if strict {
			if r4.Failure == nil {
				t.Error("strict: RATE-4 should be a failure")
			}
		} else if r4.Failure != nil || !strings.HasPrefix(r4.SystemOut, "WARN: 429 without Retry-After") || !strings.Contains(r4.SystemOut, "X-Ratelimit-Limit: 60") {
			t.Errorf("RATE-4 as a warning: %+v", r4)
		}

		si, ci = get("SDK-1")
		if e := doc.Suites[si].Cases[ci].Error; e == nil || e.Message != "dial tcp 10.0.0.7:443: i/o timeout" {
			t.Errorf("SDK-1 error: %+v", e)
		}
		si, ci = get("AUTH-3")
		if s := doc.Suites[si].Cases[ci].Skipped; s == nil || s.Message != "--revoked-key not given" {
			t.Errorf("AUTH-3 skipped: %+v", s)
		}
	}
}

func TestJUnitTextSurvivesMarkup(t *testing.T) {
	detail := "body ended ]]> then <b>&amp;</b>"
	clauses, counts, exit := results.Aggregate([]results.SpecResult{spec("ERR-2", results.OutcomeViolated, detail)}, true)
	doc := parseJUnit(t, &results.Conformance{Clauses: clauses, Counts: counts, ExitCode: exit})
	for _, s := range doc.Suites {
		for _, tc := range s.Cases {
			if strings.HasPrefix(tc.Name, "ERR-2 ") {
				if tc.Failure == nil || tc.Failure.Message != detail || !strings.HasPrefix(tc.Failure.Text, "ERR-2 spec: "+detail+"\n") {
					t.Errorf("ERR-2 case: %+v", tc)
				}
				return
			}
		}
	}
	t.Error("no ERR-2 case")
}
