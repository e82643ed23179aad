package cmd

import (
	"context"
	"io"
)

// ParseCommandLine checks a carpathian-conform command line (without the
// program's name) against the command tree, the way Main would read it:
// the command, its flags, their values and its arguments. Nothing runs and
// the environment is not read. The CI examples are tested with it.
func ParseCommandLine(args []string) error {
	root := newRoot(Env{Ctx: context.Background(), Stdout: io.Discard, Stderr: io.Discard})
	c, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := c.ParseFlags(rest); err != nil {
		return flagError(c, err)
	}
	if c.Args != nil {
		return c.Args(c, c.Flags().Args())
	}
	return nil
}
