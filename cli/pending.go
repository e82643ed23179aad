package cli

// Subcommands not yet wired; each file that implements one removes it here.
