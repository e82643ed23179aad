package results

// Exit codes, the same for every command; the one definition the CLI and the
// verdict policy (ExitCode) share.
const (
	ExitOK        = 0 // conformant, or the run met its goals
	ExitViolation = 1 // the target broke a clause (or a measured limit disagrees)
	ExitUsage     = 2 // bad flags, URL, file or configuration: found before any request
	ExitErrors    = 3 // only the tool or the network failed
	ExitThreshold = 4 // a load threshold or SLO was missed
)
