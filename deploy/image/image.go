// Package image builds carpathian-conform's container image without a
// container engine: the static binary is the image's one file and its
// entrypoint, run as a non-root user, written as an OCI archive (an OCI
// image layout in a tar, what `podman load`, `skopeo copy oci-archive:` and
// `crane push` read). go-containerregistry does the image work; there is no
// base image, so nothing is pulled and nothing beyond the binary ships.
package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entrypoint is where the binary lives in the image.
const Entrypoint = "/carpathian-conform"

// User is the image's user: the conventional "nonroot" UID and GID of
// distroless images, which Kubernetes' runAsNonRoot accepts as a number.
const User = "65532:65532"

// RefNameAnnotation is the OCI annotation naming an image in a layout.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Option configures an image.
type Option func(*config)

type config struct {
	arch, os string
	created  time.Time
	version  string
}

// WithPlatform sets the platform the binary was built for (default
// linux/amd64).
func WithPlatform(os, arch string) Option { return func(c *config) { c.os, c.arch = os, arch } }

// WithCreated sets the image's creation time (default the Unix epoch, so
// the same binary always makes the same image).
func WithCreated(t time.Time) Option { return func(c *config) { c.created = t } }

// WithVersion records the tool's version as the OCI version label.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// Build makes the image of a static binary: one layer holding the binary at
// Entrypoint (mode 0755, owned by root so the running user cannot replace
// it), run as User with the binary as entrypoint.
func Build(binary []byte, opts ...Option) (v1.Image, error) {
	c := config{os: "linux", arch: "amd64", created: time.Unix(0, 0).UTC()}
	for _, o := range opts {
		o(&c)
	}
	if len(binary) == 0 {
		return nil, fmt.Errorf("the binary is empty")
	}
	layerTar, err := binaryLayer(binary, c.created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: c.created}, CreatedBy: "carpathian-conform make image", Comment: "the static binary",
	}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = c.os, c.arch
	cf.Created = v1.Time{Time: c.created}
	cf.Config.User = User
	cf.Config.Entrypoint = []string{Entrypoint}
	cf.Config.Cmd = nil
	cf.Config.WorkingDir = "/"
	cf.Config.Labels = map[string]string{"org.opencontainers.image.title": "carpathian-conform"}
	if c.version != "" {
		cf.Config.Labels["org.opencontainers.image.version"] = c.version
	}
	return mutate.ConfigFile(img, cf)
}

// binaryLayer is the layer's tar: the binary alone.
func binaryLayer(binary []byte, created time.Time) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg, Name: Entrypoint[1:], Mode: 0o755, Size: int64(len(binary)),
		ModTime: created, Uid: 0, Gid: 0, Format: tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(binary); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteOCIArchive writes img, named ref (e.g. carpathian-conform:v1.2), as
// an OCI image layout in a tar at path. The archive is written beside path
// and renamed into place, so an existing file is replaced only by a whole
// one.
func WriteOCIArchive(path string, img v1.Image, ref string) (err error) {
	dir, err := os.MkdirTemp("", "oci-layout-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lp, err := layout.Write(dir, mutate.IndexMediaType(empty.Index, types.OCIImageIndex))
	if err != nil {
		return err
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{RefNameAnnotation: ref})); err != nil {
		return err
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
	if err = tarDir(f, dir); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// tarDir writes the files under dir into a tar, paths relative to dir, in
// a stable order.
func tarDir(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.ModTime, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = time.Unix(0, 0), 0, 0, "", ""
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// ReadOCIArchive opens an archive WriteOCIArchive wrote (unpacked into
// dir) and returns its one image and that image's name.
func ReadOCIArchive(path, dir string) (v1.Image, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: not a tar archive (%v)", path, err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if !filepath.IsLocal(hdr.Name) {
			return nil, "", fmt.Errorf("%s: entry %q leaves the archive", path, hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return nil, "", err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return nil, "", err
			}
			out, err := os.Create(dst)
			if err != nil {
				return nil, "", err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, "", err
			}
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, "", fmt.Errorf("%s: not an OCI image layout (%v)", path, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	if len(im.Manifests) != 1 {
		return nil, "", fmt.Errorf("%s holds %d images, want 1", path, len(im.Manifests))
	}
	d := im.Manifests[0]
	img, err := idx.Image(d.Digest)
	if err != nil {
		return nil, "", err
	}
	return img, d.Annotations[RefNameAnnotation], nil
}
