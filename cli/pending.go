package cli

// Subcommands not yet wired; each file that implements one removes it here.

func runConform(env Env, args []string) error   { return Usagef("check: not built yet") }
func runServe(env Env, args []string) error     { return Usagef("serve: not built yet") }
func runLoad(env Env, args []string) error      { return Usagef("load: not built yet") }
func runRatelimit(env Env, args []string) error { return Usagef("ratelimit: not built yet") }
func runCapacity(env Env, args []string) error  { return Usagef("capacity: not built yet") }
