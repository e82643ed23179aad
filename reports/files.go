package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFiles writes the JSON, JUnit and Markdown reports to each path given
// (an empty path is skipped). Each file appears whole or not at all: it is
// written beside its destination and renamed into place, so an interrupted
// run never leaves half a report for CI to read.
func WriteFiles(c *Conformance, jsonPath, junitPath, markdownPath string) error {
	outputs := []struct {
		kind, path string
		write      func(io.Writer, *Conformance) error
	}{
		{"JSON report", jsonPath, WriteJSON},
		{"JUnit report", junitPath, WriteJUnit},
		{"Markdown report", markdownPath, WriteMarkdown},
	}
	for _, o := range outputs {
		if o.path == "" {
			continue
		}
		if err := writeReportFile(o.path, o.kind, func(w io.Writer) error { return o.write(w, c) }); err != nil {
			return err
		}
	}
	return nil
}

// writeReportFile renders a report with write and puts it at path whole or
// not at all; kind names it in the errors.
func writeReportFile(path, kind string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return fmt.Errorf("cannot render the %s for %s: %v", kind, path, err)
	}
	if err := writeAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("cannot write the %s to %s: %v", kind, path, reason(err))
	}
	return nil
}

// CheckWritable reports whether a report could be written at path: its
// directory exists and takes new files, and path is not a directory. It
// leaves nothing behind. An empty path is fine (no report asked for).
func CheckWritable(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot write %s: directory %s: %v", path, dir, reason(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".check-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, reason(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// writeAtomic writes data to a temporary file beside path, then renames it
// over path.
func writeAtomic(path string, data []byte) (err error) {
	if info, statErr := os.Stat(path); statErr == nil && info.IsDir() {
		return errors.New("it is a directory")
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil { // CreateTemp makes 0600; reports are for sharing
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// reason is the cause inside an error about a path, without the temporary
// file's name, which would only confuse.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
