// Package output is the one way every report flag of every command writes
// its file, and it never destroys what a path points at:
//
//   - "-" is standard output;
//   - a path that is standard output under another name (/dev/stdout,
//     /proc/self/fd/1) is standard output too, so a redirect stays whole;
//   - a path that is not a regular file (a FIFO, a device, a symlink to
//     one, $GITHUB_STEP_SUMMARY when it is one) is written through, never
//     replaced;
//   - a regular file, or the regular file a symlink points at, is replaced
//     atomically: written beside it and renamed into place, so an
//     interrupted run never leaves half a report and a symlink stays a link.
package output

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Stdout is the path that means standard output.
const Stdout = "-"

// File is a report being written. Close delivers it: a regular file appears
// whole at its path only then. Abort drops what was written instead.
type File struct {
	w      io.Writer
	tmp    *os.File // the temporary file renamed to dest on Close; nil when written through
	direct *os.File // a FIFO or device opened for writing; nil otherwise
	dest   string
	done   bool
}

// Create opens path for a report (see the package comment). stdout is what
// "-" and the names of standard output write to.
func Create(path string, stdout io.Writer) (*File, error) {
	switch kind, dest, err := classify(path); {
	case err != nil:
		return nil, err
	case kind == toStdout:
		return &File{w: stdout}, nil
	case kind == through:
		f, err := os.OpenFile(dest, os.O_WRONLY, 0)
		if err != nil {
			return nil, Reason(err)
		}
		return &File{w: f, direct: f}, nil
	default:
		f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
		if err != nil {
			return nil, Reason(err)
		}
		return &File{w: f, tmp: f, dest: dest}, nil
	}
}

// Write writes to the report.
func (f *File) Write(p []byte) (int, error) { return f.w.Write(p) }

// Close delivers the report; a second Close does nothing.
func (f *File) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	switch {
	case f.direct != nil:
		return Reason(f.direct.Close())
	case f.tmp == nil:
		return nil
	}
	err := f.tmp.Chmod(0o644) // CreateTemp makes 0600; reports are for sharing
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.dest)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
	}
	return Reason(err)
}

// Abort drops an unfinished report: a regular file's path keeps what it
// held. What went to a stream is gone already.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.direct != nil {
		f.direct.Close()
	}
	if f.tmp != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
}

// WriteFile delivers data as the whole report at path.
func WriteFile(path string, stdout io.Writer, data []byte) error {
	f, err := Create(path, stdout)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return Reason(err)
	}
	return f.Close()
}

// AppendFile adds data at the end of path, creating it if need be: a CI
// summary file that other steps write to as well.
func AppendFile(path string, stdout io.Writer, data []byte) error {
	kind, dest, err := classify(path)
	switch {
	case err != nil:
		return err
	case kind == toStdout:
		_, err := stdout.Write(data)
		return err
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return Reason(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return Reason(err)
}

// CheckWritable tells, before any request, whether a report could be
// written at path, leaving nothing behind. It opens no stream: a FIFO would
// wait for its reader. An empty path (no report asked for) is fine.
func CheckWritable(path string) error {
	if path == "" {
		return nil
	}
	kind, dest, err := classify(path)
	if err != nil || kind != replaced {
		if err != nil {
			return fmt.Errorf("cannot write %s: %v", path, err)
		}
		return nil
	}
	dir := filepath.Dir(dest)
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot write %s: directory %s: %v", path, dir, Reason(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".check-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, Reason(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// IsStdout tells whether path writes to standard output: "-", or
// standard output under another name (/dev/stdout). A command then keeps
// its human output off standard output, so the report pipes clean.
func IsStdout(path string) bool {
	if path == "" {
		return false
	}
	k, _, err := classify(path)
	return err == nil && k == toStdout
}

type kind int

const (
	replaced kind = iota // a regular file, or none yet: replaced atomically
	through              // a FIFO, a device: written through
	toStdout             // "-" or standard output by another name
)

// classify says how path is written, and the path written (a symlink to a
// regular file resolved, so the link stays).
func classify(path string) (kind, string, error) {
	if path == Stdout {
		return toStdout, "", nil
	}
	info, err := os.Stat(path) // follows symlinks
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			return 0, "", fmt.Errorf("it is a symlink to %s, which does not exist", linkTarget(path))
		}
		return replaced, path, nil
	case err != nil:
		return 0, "", Reason(err)
	case info.IsDir():
		return 0, "", errors.New("it is a directory")
	case isStdout(info):
		return toStdout, "", nil
	case !info.Mode().IsRegular():
		return through, path, nil
	}
	dest, err := filepath.EvalSymlinks(path)
	if err != nil {
		return 0, "", Reason(err)
	}
	return replaced, dest, nil
}

// isStdout tells whether info is the file this process's standard output is.
func isStdout(info fs.FileInfo) bool {
	out, err := os.Stdout.Stat()
	return err == nil && os.SameFile(info, out)
}

func linkTarget(path string) string {
	t, err := os.Readlink(path)
	if err != nil {
		return "?"
	}
	return t
}

// Reason is the cause inside an error about a path, without the name of a
// temporary file, which would only confuse.
func Reason(err error) error {
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
