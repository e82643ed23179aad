package cli

// Subcommands not yet wired; each file that implements one removes it here.

func runCapacity(env Env, args []string) error { return Usagef("capacity: not built yet") }
