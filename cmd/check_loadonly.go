//go:build loadonly

package cmd

// checkCommand, in a build with -tags loadonly, refuses: that build leaves
// out the conformance half (Ginkgo and the OpenAI SDK) to measure what the
// one-binary design costs the load half in memory (load/bench_test.go,
// README "Performance"). It is not a shipped artifact.
func checkCommand(Env) command {
	return command{name: "check", summary: "not in this build (built with -tags loadonly)",
		help: "carpathian-conform [check]: not in this build",
		run: func(*FlagSet, []string) error {
			return Usagef("this carpathian-conform was built with -tags loadonly, without the conformance suite: build it without that tag to check")
		}}
}
