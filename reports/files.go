package reports

import (
	"bytes"
	"fmt"
	"io"

	"github.com/carpathian-ai/carpathian-conform/internal/output"
	"github.com/carpathian-ai/carpathian-conform/internal/results"
)

// WriteFiles writes the JSON, JUnit, Markdown and HTML reports to each path
// given (an empty path is skipped), each through WriteFile.
func WriteFiles(c *results.Conformance, stdout io.Writer, jsonPath, junitPath, markdownPath, htmlPath string) error {
	outputs := []struct {
		kind, path string
		write      func(io.Writer, *results.Conformance) error
	}{
		{"JSON report", jsonPath, WriteJSON},
		{"JUnit report", junitPath, WriteJUnit},
		{"Markdown report", markdownPath, WriteMarkdown},
		{"HTML report", htmlPath, WriteConformanceHTML},
	}
	for _, o := range outputs {
		if o.path == "" {
			continue
		}
		if err := WriteFile(o.path, stdout, o.kind, func(w io.Writer) error { return o.write(w, c) }); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile is how every report reaches its path: rendered whole in memory
// (a failed render writes nothing), then delivered by output.WriteFile, which
// never destroys what the path points at ("-" is stdout). kind names the
// report in errors.
func WriteFile(path string, stdout io.Writer, kind string, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return fmt.Errorf("cannot render the %s for %s: %v", kind, path, err)
	}
	if err := output.WriteFile(path, stdout, b.Bytes()); err != nil {
		return fmt.Errorf("cannot write the %s to %s: %v", kind, path, err)
	}
	return nil
}
