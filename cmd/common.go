package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/output"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/load"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// Flag groups shared by the load-side commands (load, ratelimit, capacity):
// each flag is defined, documented and checked one way.

// targetFlags say where calls go and with which keys.
type targetFlags struct {
	baseURL string
	keys    StringList
	timeout time.Duration
	conn    connectionFlags
}

func (t *targetFlags) define(fs *FlagSet, baseURLUsage, keyUsage string) {
	fs.StringVar(&t.baseURL, "base-url", "", baseURLUsage)
	fs.Var(&t.keys, "api-key", keyUsage)
	fs.PositiveDuration(&t.timeout, "timeout", target.DefaultTimeout, "timeout of each call")
	t.conn.define(fs)
}

// connectionFlags reach a target behind a staging gateway: extra headers
// and TLS trust, for every command that sends.
type connectionFlags struct {
	headers  Patterns
	insecure bool
	caCert   string
}

func (c *connectionFlags) define(fs *FlagSet) {
	fs.Var(&c.headers, "header", "send this `NAME:VALUE` header with every call (repeatable), e.g. 'X-Gateway: staging'; never printed")
	fs.BoolVar(&c.insecure, "insecure", false, "do not verify the target's TLS certificate (a staging gateway's self-signed one)")
	fs.StringVar(&c.caCert, "ca-cert", "", "trust the CA certificates in this PEM `FILE` too")
}

// connection is the target.Connection the flags describe.
func (c *connectionFlags) connection() (target.Connection, error) {
	conn := target.Connection{Insecure: c.insecure}
	for _, h := range c.headers {
		name, value, err := target.ParseHeader(h)
		if err != nil {
			return target.Connection{}, fmt.Errorf("--%v", err)
		}
		if conn.Header == nil {
			conn.Header = http.Header{}
		}
		conn.Header.Add(name, value)
	}
	if c.caCert != "" {
		pool, err := target.LoadCACert(c.caCert)
		if err != nil {
			return target.Connection{}, err
		}
		conn.RootCAs = pool
	}
	return conn, nil
}

// embedded tells whether to run against the embedded reference server (no
// --base-url), refusing keys without a URL and a URL without keys.
func (t *targetFlags) embedded() (bool, error) {
	switch {
	case strings.TrimSpace(t.baseURL) == "" && len(t.keys) > 0:
		return false, keyWithoutBaseURL("api-key")
	case strings.TrimSpace(t.baseURL) == "":
		return true, nil
	case len(t.keys) == 0:
		return false, fmt.Errorf("--api-key is required with --base-url (or set %s)", EnvName("api-key"))
	}
	return false, nil
}

// keyWithoutBaseURL refuses a key given for the embedded server, which
// would silently be ignored.
func keyWithoutBaseURL(flag string) error {
	return fmt.Errorf("--%s without --base-url: the embedded server has its own keys; give --base-url too", flag)
}

// root is the target's root from --base-url.
func (t *targetFlags) root() (target.Root, error) {
	r, err := target.ParseBaseURL(t.baseURL)
	if err != nil {
		return target.Root{}, fmt.Errorf("--base-url: %v", err)
	}
	return r, nil
}

// requestFlags say what each chat call sends.
type requestFlags struct {
	prompt, promptsFile, bodyFile, path string
	maxTokens, promptTokens             load.TokenDist
	seed                                uint64 // of drawn lengths; the command sets it
}

func (r *requestFlags) define(fs *FlagSet) {
	fs.StringVar(&r.prompt, "prompt", "Say hi.", "the user message of every chat call")
	fs.StringVar(&r.promptsFile, "prompts-file", "", "`FILE` of prompts, one per line (plain text or a JSON message list), sampled per call")
	fs.StringVar(&r.bodyFile, "body-file", "", "a `FILE` holding a recorded chat request body (JSON), sent as it is")
	r.maxTokens = load.TokenDist{Kind: "fixed", Mean: 16}
	fs.Var(&r.maxTokens, "max-tokens", "max_tokens of each chat call: `N`, normal:MEAN,STDDEV or uniform:MEAN,HALFWIDTH (0 leaves it out: cost then unbounded)")
	fs.Lookup("max-tokens").DefValue = "16"
	fs.Var(&r.promptTokens, "prompt-tokens", "synthetic prompts of this many tokens (words that are one token each): `N`, normal:MEAN,STDDEV or uniform:MEAN,HALFWIDTH (replaces --prompt)")
	fs.StringVar(&r.path, "path", "chat", "what to call: chat, models, or a path under the root such as /chat or /v1/completions")
}

// bodies are the request bodies calls are spread over, and what each
// requests when that is known.
func (r *requestFlags) bodies(fs *FlagSet) ([][]byte, []load.Requested, error) {
	if !fs.Given("prompt-tokens") {
		prompts, err := r.prompts(fs)
		if prompts == nil || err != nil {
			return prompts, nil, err
		}
		if r.maxTokens.IsFixed() {
			return prompts, nil, nil
		}
		msgs := make([][]target.Message, len(prompts))
		for i, b := range prompts {
			var req target.ChatRequest
			if err := json.Unmarshal(b, &req); err != nil {
				return nil, nil, err
			}
			msgs[i] = req.Messages
		}
		bodies, req := load.Synthetic{Prompts: msgs, MaxTokens: r.maxTokens, Seed: r.seed}.Bodies()
		return bodies, req, nil
	}
	for _, other := range []string{"prompt", "prompts-file", "body-file"} {
		if fs.Given(other) {
			return nil, nil, fmt.Errorf("--prompt-tokens draws its own prompts: drop --%s", other)
		}
	}
	if r.promptTokens.IsFixed() && r.promptTokens.Mean < 1 {
		return nil, nil, fmt.Errorf("--prompt-tokens must be 1 or more")
	}
	bodies, req := load.Synthetic{Prompt: r.promptTokens, MaxTokens: r.maxTokens, Seed: r.seed}.Bodies()
	return bodies, req, nil
}

// prompts are the bodies of --body-file, --prompts-file or --prompt with a
// fixed --max-tokens (the mean of a drawn one, redrawn by bodies).
func (r *requestFlags) prompts(fs *FlagSet) ([][]byte, error) {
	maxTokens := r.maxTokens.Mean
	switch {
	case r.bodyFile != "" && (r.promptsFile != "" || fs.Given("prompt")):
		return nil, fmt.Errorf("--body-file is sent as it is: drop --prompt and --prompts-file")
	case r.bodyFile != "":
		if fs.Given("max-tokens") || fs.Given("prompt-tokens") {
			return nil, fmt.Errorf("--body-file is sent as it is: set max_tokens inside it, not with --max-tokens")
		}
		b, err := os.ReadFile(r.bodyFile)
		if err != nil {
			return nil, fmt.Errorf("--body-file: %v", err)
		}
		body, err := load.RecordedBody(b)
		if err != nil {
			return nil, fmt.Errorf("--body-file %s: %v", r.bodyFile, err)
		}
		return [][]byte{body}, nil
	case r.promptsFile != "":
		if fs.Given("prompt") {
			return nil, fmt.Errorf("give --prompt or --prompts-file, not both")
		}
		file, err := os.Open(r.promptsFile)
		if err != nil {
			return nil, fmt.Errorf("--prompts-file: %v", err)
		}
		defer file.Close()
		prompts, err := load.ReadPrompts(file)
		if err != nil {
			return nil, fmt.Errorf("--prompts-file %s: %v", r.promptsFile, err)
		}
		return load.ChatBodies(prompts, maxTokens), nil
	}
	if strings.TrimSpace(r.prompt) == "" {
		return nil, fmt.Errorf("--prompt is empty")
	}
	return load.ChatBodies([][]target.Message{load.Prompt(r.prompt)}, maxTokens), nil
}

// plan is a load plan of these requests against root with keys; the
// profile stands for what is sent.
func (r *requestFlags) plan(fs *FlagSet, root target.Root, t *targetFlags, profile load.Profile, name string) (*load.Plan, error) {
	path, err := load.ResolvePath(r.path)
	if err != nil {
		return nil, err
	}
	conn, err := t.conn.connection()
	if err != nil {
		return nil, err
	}
	p := &load.Plan{Root: root, Conn: conn, Path: path, Keys: t.keys, Profile: profile, Timeout: t.timeout, Name: name}
	if !p.IsModels() {
		if p.Bodies, p.Requested, err = r.bodies(fs); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// costFlags cap what a run may spend unless --yes.
type costFlags struct {
	maxCalls, budget int64
	yes              bool
}

// define adds --max-calls, --yes and, with tokens, --max-tokens-budget; what
// names the thing refused ("plan", "search", "run").
func (c *costFlags) define(fs *FlagSet, what string, tokens bool) {
	fs.Int64Var(&c.maxCalls, "max-calls", 10000, "refuse a "+what+" that may make more calls, unless --yes")
	if tokens {
		fs.Int64Var(&c.budget, "max-tokens-budget", 1_000_000, "refuse a "+what+" whose worst-case tokens exceed this, unless --yes")
	}
	fs.BoolVar(&c.yes, "yes", false, "run a "+what+" beyond the caps")
}

// affordable refuses, unless --yes, a worst case beyond the caps. hint says
// how to make the run smaller.
func (c *costFlags) affordable(what string, calls, tokens int64, tokensBounded bool, hint string) error {
	switch {
	case c.yes:
		return nil
	case calls > c.maxCalls:
		return fmt.Errorf("the %s may make %d calls, more than --max-calls %d: %s, raise --max-calls, or pass --yes", what, calls, c.maxCalls, hint)
	case !tokensBounded:
		return fmt.Errorf("no max_tokens in the request, so the worst-case tokens are unbounded: set --max-tokens (or max_tokens in --body-file), or pass --yes")
	case c.budget > 0 && tokens > c.budget:
		return fmt.Errorf("the %s may spend %d tokens, more than --max-tokens-budget %d: %s or --max-tokens, raise the budget, or pass --yes", what, tokens, c.budget, hint)
	}
	return nil
}

// checkWritable checks, before any request, that every output can be written.
func checkWritable(paths ...string) error {
	for _, p := range paths {
		if err := output.CheckWritable(p); err != nil {
			return err
		}
	}
	return nil
}

// anyStdout tells whether a report path writes to standard output.
func anyStdout(paths ...string) bool {
	return slices.ContainsFunc(paths, output.IsStdout)
}

// announceEmbedded is the first line of a run against the embedded server.
func announceEmbedded(env Env, doing string, root target.Root, about string) {
	sayf(env.Stdout, "No --base-url: %s the embedded reference server at %s with its fixture keys (%s).",
		doing, root.Base(target.ShapeV1), about)
}

// sayf prints a line of prose, word-wrapped to the width of the reports.
func sayf(w io.Writer, format string, args ...any) {
	for _, l := range reports.Wrap(fmt.Sprintf(format, args...), reports.TableWidth) {
		fmt.Fprintln(w, l)
	}
}

// sayWritten ends a report by naming the files it wrote (empty paths are
// outputs not asked for).
func sayWritten(env Env, paths ...string) {
	var written []string
	for _, p := range paths {
		if p != "" {
			written = append(written, p)
		}
	}
	if len(written) > 0 {
		sayf(env.Stdout, "Wrote %s.", strings.Join(written, ", "))
	}
}
