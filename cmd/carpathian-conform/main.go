// Command carpathian-conform checks a Carpathian AI API deployment against its
// contract and measures it under load. All logic lives in package cmd.
package main

import (
	"os"

	"github.com/carpathian-ai/carpathian-conform/cmd"
)

func main() { os.Exit(cmd.Main(os.Args[1:], os.Stdout, os.Stderr)) }
