package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters):
// one testsuite per clause area, one testcase per clause.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
		duration   time.Duration
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		ClassName string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
		Skipped   *junitSkipped `xml:"skipped"`
		SystemOut *junitText    `xml:"system-out"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",cdata"` // multi-line text stays readable in the raw file
	}
	junitText struct {
		Text string `xml:",cdata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

// WriteJUnit writes the run as JUnit XML. FAIL is a failure, ERROR an error,
// SKIP skipped; WARN and INFO pass with the verdict in system-out. Evidence
// goes to system-out; the run's facts are properties of every suite.
func WriteJUnit(w io.Writer, c *results.Conformance) error {
	return render(w, func(b *bytes.Buffer) error {
		doc := junitSuites{Name: "carpathian-conform", Time: seconds(c.Duration())}
		props := []junitProperty{
			{"target", displayTarget(c)},
			{"model", c.Model},
			{"tool_version", c.ToolVersion},
			{"rate_limit", c.RateLimit},
			{"strict", strconv.FormatBool(c.Strict)},
		}
		suiteOf := make(map[string]int)
		for _, cr := range c.Clauses {
			i, ok := suiteOf[cr.Area]
			if !ok {
				i = len(doc.Suites)
				suiteOf[cr.Area] = i
				doc.Suites = append(doc.Suites, junitSuite{Name: cr.Area, Properties: props, Timestamp: timestamp(c.Started)})
			}
			s := &doc.Suites[i]
			tc := junitTestCase(cr)
			s.Cases = append(s.Cases, tc)
			s.Tests++
			s.duration += specsDuration(cr)
			switch {
			case tc.Failure != nil:
				s.Failures++
			case tc.Error != nil:
				s.Errors++
			case tc.Skipped != nil:
				s.Skipped++
			}
		}
		for i := range doc.Suites {
			s := &doc.Suites[i]
			s.Time = seconds(s.duration)
			doc.Tests += s.Tests
			doc.Failures += s.Failures
			doc.Errors += s.Errors
			doc.Skipped += s.Skipped
		}
		b.WriteString(xml.Header)
		enc := xml.NewEncoder(b)
		enc.Indent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
		b.WriteString("\n")
		return nil
	})
}

// junitTestCase is one clause as a testcase.
func junitTestCase(cr results.ClauseResult) junitCase {
	tc := junitCase{
		ClassName: cr.Area,
		Name:      cr.ID + " " + cr.Title,
		Time:      seconds(specsDuration(cr)),
	}
	detail := printable(cr.Detail)
	switch cr.Verdict {
	case results.Fail:
		// The failure body is what a CI annotation shows: the reason, the
		// redacted exchange and the curl that reproduces it.
		tc.Failure = &junitProblem{Message: detail, Type: string(cr.Level), Text: plainEvidence(cr)}
	case results.Error:
		tc.Error = &junitProblem{Message: detail, Type: "ERROR", Text: specDetails(cr, results.OutcomeErrored)}
	case results.Skip:
		tc.Skipped = &junitSkipped{Message: detail}
	case results.Waived:
		// Skipped with the reason: every CI shows it, and none counts it.
		tc.Skipped = &junitSkipped{Message: "WAIVED " + printable(waiverHeadline(cr.Waiver)) + "; " + detail}
		tc.SystemOut = &junitText{plainEvidence(cr)}
	case results.Warn:
		tc.SystemOut = &junitText{"WARN: " + detail + "\n" + plainEvidence(cr)}
	case results.Info:
		tc.SystemOut = &junitText{"INFO: " + detail + "\n"}
	}
	return tc
}

// specDetails lists "name: detail" for the specs with the outcome.
func specDetails(cr results.ClauseResult, o results.Outcome) string {
	var lines []string
	for _, s := range cr.Specs {
		if s.Outcome == o {
			lines = append(lines, printable(s.Name+": "+s.Detail))
		}
	}
	return strings.Join(lines, "\n")
}

func specsDuration(cr results.ClauseResult) time.Duration {
	var d time.Duration
	for _, s := range cr.Specs {
		d += s.Duration
	}
	return d
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}
