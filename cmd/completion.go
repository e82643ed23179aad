package cmd

import (
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/load"
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

// registerValueCompletions completes the values of the flags that take one
// of a few names, wherever a command has them, and --profile from the
// profiles of --config.
func registerValueCompletions(root *cobra.Command) {
	var algorithms, deviations, quirks []string
	for _, a := range fixtures.Algorithms {
		algorithms = append(algorithms, string(a))
	}
	for _, d := range fixtures.Deviations {
		deviations = append(deviations, d.Name+"\t"+d.Clause)
	}
	for _, q := range fixtures.Quirks {
		quirks = append(quirks, q.Name)
	}
	names := map[string][]string{
		"path":      slices.Concat([]string{"chat", "models"}, load.ChatPaths, load.ModelsPaths),
		"arrivals":  {"uniform", "poisson"},
		"algorithm": algorithms,
		"deviation": deviations,
		"quirk":     quirks,
	}
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		for flag, values := range names {
			if c.Flags().Lookup(flag) != nil {
				_ = c.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
			}
		}
	}
	_ = root.RegisterFlagCompletionFunc("profile", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		file, _ := c.Flags().GetString("config")
		if file == "" {
			file = os.Getenv(EnvName("config"))
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return profileNames(data), cobra.ShellCompDirectiveNoFileComp
	})
}
