// Command mkimage writes carpathian-conform's container image as an OCI
// archive, from a static binary, without a container engine (`make image`).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/carpathian-ai/carpathian-conform/deploy/image"
)

func main() {
	binary := flag.String("binary", "", "the static linux binary (CGO_ENABLED=0)")
	out := flag.String("o", "", "the OCI archive to write")
	ref := flag.String("ref", "carpathian-conform:latest", "the image's name in the archive")
	version := flag.String("version", "", "the tool's version, recorded as a label")
	arch := flag.String("arch", runtime.GOARCH, "the binary's architecture")
	flag.Parse()
	if *binary == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "mkimage: give -binary FILE and -o FILE.tar")
		os.Exit(2)
	}
	b, err := os.ReadFile(*binary)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(2)
	}
	img, err := image.Build(b, image.WithPlatform("linux", *arch), image.WithVersion(*version))
	if err == nil {
		err = image.WriteOCIArchive(*out, img, *ref)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
	digest, _ := img.Digest()
	info, _ := os.Stat(*out)
	fmt.Printf("wrote %s: %s, %s (linux/%s, user %s, entrypoint %s), %d bytes\n",
		*out, *ref, digest, *arch, image.User, image.Entrypoint, info.Size())
}
