// Command carpathian-conform checks a Carpathian AI API deployment against its
// contract and measures it under load. All logic lives in package cli.
package main

import (
	"os"

	"github.com/carpathian-ai/carpathian-conform/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
