// Package suites is the conformance suite: Ginkgo specs, one or more per
// clause of the contract (CONTRACT.md), run against any target from a plain
// binary. Checks are plain functions (checks.go); spec files wire requests to
// them by workflow; a Pacer keeps every call under the target's limit; Run
// turns Ginkgo's report into results.SpecResult values.
package suites

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Keys are the credentials a run may use. Only API is required; a clause
// that needs another key is skipped, with the reason, when it is not given.
type Keys struct {
	API       string // a valid key (--api-key)
	Revoked   string // AUTH-3
	Exhausted string // BILL-1, MODELS-4
	Forbidden string // ACCESS-1: its allowlist excludes this machine
	Locked    string // ACCESS-2
}

func (k Keys) all() []string { return []string{k.API, k.Revoked, k.Exhausted, k.Forbidden, k.Locked} }

// keyFlags names each key by its flag, in the order of all.
var keyFlags = []string{"--api-key", "--revoked-key", "--exhausted-key", "--forbidden-key", "--locked-key"}

// KeyPrefix starts every Carpathian key.
const KeyPrefix = "cai_"

// Config is one conformance run.
type Config struct {
	Root        target.Root
	Conn        target.Connection // extra headers and TLS trust (--header, --insecure, --ca-cert)
	Keys        Keys
	Limit       target.Limit  // the key's declared limit, N per W
	Strict      bool          // a broken SHOULD fails
	Timeout     time.Duration // per call
	MaxCalls    int           // 0: no cap beyond the plan's own bound
	LabelFilter string        // Ginkgo label filter, e.g. "area:route || cost:none"
	Focus       []string      // Ginkgo focus regexps on spec text
	Verbose     bool          // Ginkgo's own verbose output to Out
	Out         io.Writer     // where -v output goes (nil: discarded)
	Status      io.Writer     // a terminal for the live status line (nil: none)
	Progress    io.Writer     // off a terminal (a CI log): a progress line every ProgressEvery (nil: none)
	FailFast    bool          // stop at the first spec that fails the run
	Embedded    bool          // the target is our embedded reference server
	Model       string        // the model bound to the key, when known up front
	ToolVersion string
}

// ErrConfig marks a configuration error found before any request (exit 2).
var ErrConfig = errors.New("configuration")

func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// Validate finds what is wrong with the configuration before any request.
func (c Config) Validate() error {
	if c.Root.IsZero() {
		return configErrorf("no target: give --base-url, like https://api.carpathian.ai/ai/v1")
	}
	if strings.TrimSpace(c.Keys.API) == "" {
		return configErrorf("no API key: give --api-key (or CARPATHIAN_API_KEY)")
	}
	for i, k := range c.Keys.all() {
		if k != "" && !strings.HasPrefix(k, KeyPrefix) {
			return configErrorf("%s is not a Carpathian key: keys start with %q (copy the key the dashboard showed)", keyFlags[i], KeyPrefix)
		}
	}
	if c.Limit.N < 1 || c.Limit.Window <= 0 {
		return configErrorf("rate limit %v: give --rate-limit N/W, like 60/1m", c.Limit)
	}
	if c.MaxCalls < 0 {
		return configErrorf("--max-calls %d: give a positive number (0 means no cap)", c.MaxCalls)
	}
	if c.LabelFilter != "" {
		if _, err := types.ParseLabelFilter(c.LabelFilter); err != nil {
			return configErrorf("--label-filter %q does not parse: %s (e.g. 'area:route || level:must')", c.LabelFilter, oneLine(err.Error()))
		}
	}
	for _, f := range c.Focus {
		if _, err := regexp.Compile(f); err != nil {
			return configErrorf("--focus %q is not a regular expression: %v", f, err)
		}
	}
	return nil
}

// Redactor hides every key of the run.
func (c Config) Redactor() target.Redactor {
	var named []target.NamedKey
	for i, k := range c.Keys.all() {
		named = append(named, target.NamedKey{Key: k, Env: flagEnv(keyFlags[i])})
	}
	// The mistyped key (AUTH-2) is all but the run's key, and the Basic
	// credentials (AUTH-4) hold it: hidden too, their curl rebuilds them
	// from the variable.
	if typo := mistyped(c.Keys.API); typo != "" {
		env := flagEnv(keyFlags[0])
		named = append(named, target.NamedKey{Key: typo, Env: "{" + env + "%?}" + typo[len(typo)-1:]},
			target.NamedKey{Key: basicCredentials(c.Keys.API), Env: `(printf '%s:%s' "$` + env + `" "$` + env + `" | base64 | tr -d '\n')`})
	}
	return target.NewNamedRedactor(named...)
}

// flagEnv is a flag's environment twin (--revoked-key: CARPATHIAN_REVOKED_KEY,
// as the command line names it): a curl in the evidence reads the key from it.
func flagEnv(flag string) string {
	return "CARPATHIAN_" + strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(flag, "-"), "-", "_"))
}

// unknownKey is a well-formed key no target knows (AUTH-2). It is made up and
// fixed, no secret, so evidence shows it whole and its curl reproduces the
// refusal as it is.
const unknownKey = target.UnknownKey

// oneLine collapses s to one line without terminal escapes (Ginkgo colours
// its errors).
func oneLine(s string) string {
	return strings.Join(strings.Fields(ansiEscape.ReplaceAllString(s, "")), " ")
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
