package image

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image of the real static binary: its config runs the binary as a
// non-root user, its one layer holds only the binary, and that binary runs.
func TestImageOfTheStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image holds a linux binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "carpathian-conform")
	build := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-X github.com/carpathian-ai/carpathian-conform/cmd.Version=v0.0.0-imagetest",
		"github.com/carpathian-ai/carpathian-conform/cmd/carpathian-conform")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Build(binary, WithPlatform("linux", runtime.GOARCH), WithVersion("v0.0.0-imagetest"))
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "image.tar")
	if err := os.WriteFile(archive, []byte("an older image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteOCIArchive(archive, img, "carpathian-conform:test"); err != nil {
		t.Fatal(err)
	}

	// Open what was written, not what was built.
	got, ref, err := ReadOCIArchive(archive, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if ref != "carpathian-conform:test" {
		t.Errorf("image named %q", ref)
	}
	if mt, _ := got.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want OCI", mt)
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != User || strings.HasPrefix(cf.Config.User, "0") || cf.Config.User == "root" {
		t.Errorf("user %q, want the non-root %s", cf.Config.User, User)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{Entrypoint}) || len(cf.Config.Cmd) != 0 {
		t.Errorf("entrypoint %v cmd %v, want [%s] alone", cf.Config.Entrypoint, cf.Config.Cmd, Entrypoint)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	layers, err := got.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers (%v), want the binary's one", len(layers), err)
	}

	// The image's filesystem: the binary and nothing else; run it.
	root := t.TempDir()
	fs := tar.NewReader(mutate.Extract(got))
	var names []string
	for {
		hdr, err := fs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Uid != 0 || hdr.FileInfo().Mode().Perm() != 0o755 {
			t.Errorf("%s: uid %d mode %s, want root-owned 0755", hdr.Name, hdr.Uid, hdr.FileInfo().Mode())
		}
		f, err := os.OpenFile(filepath.Join(root, filepath.Base(hdr.Name)), os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, fs); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if !slices.Equal(names, []string{strings.TrimPrefix(Entrypoint, "/")}) {
		t.Fatalf("image files %v, want only %s", names, Entrypoint)
	}
	out, err := exec.Command(filepath.Join(root, filepath.Base(Entrypoint)), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "v0.0.0-imagetest") {
		t.Errorf("the image's binary --version: %v, %q", err, out)
	}
}

func TestBuildRefusesAnEmptyBinary(t *testing.T) {
	if _, err := Build(nil); err == nil {
		t.Error("an empty binary made an image")
	}
}
