package output

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRegularFileReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte("old, longer content that must go entirely"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if got, _ := os.ReadFile(path); string(got) != "old, longer content that must go entirely" {
		t.Errorf("before Close the path holds %q: want the old report until the new one is whole", got)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("after Close: %q", got)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries: a temporary file was left", len(entries))
	}
}

func TestAbortKeepsTheOldReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	os.WriteFile(path, []byte("old"), 0o644)
	f, err := Create(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half a rep"))
	f.Abort()
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("after Abort: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries: a temporary file was left", len(entries))
	}
}

func TestDashIsStdout(t *testing.T) {
	var out bytes.Buffer
	if err := WriteFile("-", &out, []byte("report")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "report" {
		t.Errorf("stdout got %q", out.String())
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`a file named "-" was created`)
	}
	if !IsStdout("-") || IsStdout("") || IsStdout(filepath.Join(t.TempDir(), "r.json")) {
		t.Error("IsStdout")
	}
}

func TestSymlinkToDevNullIsWrittenThrough(t *testing.T) {
	link := filepath.Join(t.TempDir(), "sink")
	if err := os.Symlink(os.DevNull, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, io.Discard, []byte("report")); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(link); err != nil || target != os.DevNull {
		t.Errorf("the link became %q, %v", target, err)
	}
	if info, err := os.Stat(os.DevNull); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("%s is no longer a device: %v", os.DevNull, info.Mode())
	}
}

func TestSymlinkToARegularFileStaysALink(t *testing.T) {
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real.json"), filepath.Join(dir, "latest.json")
	os.WriteFile(real, []byte("old"), 0o644)
	os.Symlink("real.json", link)
	if err := WriteFile(link, nil, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Lstat(link); info.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	if got, _ := os.ReadFile(real); string(got) != "new" {
		t.Errorf("the link's target holds %q", got)
	}
}

func TestFIFOIsWrittenThrough(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	if err := CheckWritable(fifo); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo) // opens for reading, which lets the writer open
		got <- string(b)
	}()
	if err := WriteFile(fifo, nil, []byte("report")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "report" {
		t.Errorf("the reader got %q", s)
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO is no longer one: %v %v", info.Mode(), err)
	}
}

func TestDevStdoutIsStdout(t *testing.T) {
	// Point this process's standard output at a regular file, as a shell
	// redirect does: /dev/stdout then names that file, which must be neither
	// replaced nor truncated; the report goes to standard output.
	redirect := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(redirect)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("earlier output\n")
	saved, err := syscall.Dup(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(f.Fd()), 1, 0); err != nil {
		t.Skipf("cannot redirect fd 1: %v", err)
	}
	var out bytes.Buffer
	var errs []error
	for _, path := range []string{"/dev/stdout", "/proc/self/fd/1"} {
		errs = append(errs, WriteFile(path, &out, []byte("report\n")))
	}
	syscall.Dup3(saved, 1, 0)
	syscall.Close(saved)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != "report\nreport\n" {
		t.Errorf("standard output got %q", out.String())
	}
	if got, _ := os.ReadFile(redirect); string(got) != "earlier output\n" {
		t.Errorf("the redirect target became %q", got)
	}
	if info, err := os.Lstat("/dev/stdout"); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("/dev/stdout is no longer a symlink")
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	for _, ok := range []string{"", "-", filepath.Join(dir, "r.json"), os.DevNull} {
		if err := CheckWritable(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "no", "r.json"): "directory",
		dir:                                "it is a directory",
	} {
		if err := CheckWritable(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere", "x"), dangling)
	if err := CheckWritable(dangling); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("dangling symlink: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("CheckWritable left files behind: %d entries", len(entries))
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := CheckWritable(filepath.Join(ro, "r.json")); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("read-only dir: %v", err)
		}
	}
}

func TestAppendFileKeepsWhatOthersWrote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(path, []byte("## earlier step\n"), 0o644)
	if err := AppendFile(path, nil, []byte("## ours\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "## earlier step\n## ours\n" {
		t.Errorf("got %q", got)
	}
}
