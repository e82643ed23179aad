package cmd

import (
	"slices"

	"github.com/spf13/cobra"
)

// completionShells are the shells `completion` writes a script for.
var completionShells = []string{"bash", "zsh", "fish"}

// completionCommand prints a shell's completion script, made by cobra from
// the command tree: commands, flags and their descriptions.
func completionCommand(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "print the shell completion script of bash, zsh or fish",
		Long: "carpathian-conform completion bash|zsh|fish: print the shell's completion script, e.g. " +
			"source <(carpathian-conform completion bash), or save it where the shell reads completions " +
			"(zsh: a file _carpathian-conform on $fpath; fish: ~/.config/fish/completions/carpathian-conform.fish)",
		ValidArgs: completionShells,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(completionShells, args[0]) {
				return Usagef("completion: give one shell: bash, zsh or fish")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			switch args[0] {
			case "zsh":
				return root.GenZshCompletion(env.Stdout)
			case "fish":
				return root.GenFishCompletion(env.Stdout, true)
			}
			return root.GenBashCompletionV2(env.Stdout, true)
		},
	}
}
