package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// DefaultMaxWorkers caps an open-loop run's calls in flight: past it, slots
// are missed (and counted) rather than piling connections onto a stalled
// target.
const DefaultMaxWorkers = 1000

// Plan is what a run sends: where, with which keys and bodies, on which
// profile, within which limits.
type Plan struct {
	Root target.Root
	// Conn adds headers and TLS trust to every call (--header, --insecure,
	// --ca-cert).
	Conn target.Connection
	// Path is relative to the root: target.PathChat, a chat alias, or a models
	// path (see ResolvePath).
	Path string
	// Keys are spread evenly: call seq uses Keys[seq % len(Keys)].
	Keys []string
	// Bodies are the chat request bodies, one sampled per call; empty for
	// models.
	Bodies [][]byte
	// Requested, when set, says what each body of Bodies asks for (same
	// index): the summary then sets requested lengths beside served ones.
	Requested []Requested
	Profile   Profile
	// Timeout is each call's timeout (default target.DefaultTimeout: vegeta's
	// 30 s is short for long generations).
	Timeout time.Duration
	// MaxWorkers caps calls in flight in an open loop (default
	// DefaultMaxWorkers). A closed loop uses exactly its InFlight.
	MaxWorkers uint64
	// MaxCalls stops the run after that many calls (0: no cap).
	MaxCalls int64
	// Seed drives body sampling (and nothing else), so a run can be repeated.
	Seed uint64
	// Name is the vegeta attack name recorded in every result.
	Name string
}

// Chat and models paths a plan may hit (ROUTE-1/2/3, ROUTE-4/5).
var (
	ChatPaths   = append([]string{target.PathChat}, append(append([]string{}, target.ChatAliases...), target.PathChat+"/chat/completions")...)
	ModelsPaths = []string{target.PathModels, "/models", target.PathChat + "/models"}
)

// ResolvePath turns "chat", "models" or one of ChatPaths/ModelsPaths into the
// path to hit.
func ResolvePath(s string) (string, error) {
	switch s = strings.TrimSpace(s); s {
	case "", "chat":
		return target.PathChat, nil
	case "models":
		return target.PathModels, nil
	}
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	for _, p := range append(append([]string{}, ChatPaths...), ModelsPaths...) {
		if s == p {
			return p, nil
		}
	}
	return "", fmt.Errorf("path %q: use chat, models, or one of %s (relative to the root that ends in /ai)",
		s, strings.Join(append(append([]string{}, ChatPaths...), ModelsPaths...), ", "))
}

// IsModels tells whether the plan lists models rather than chatting.
func (p *Plan) IsModels() bool {
	path, _ := ResolvePath(p.Path)
	for _, m := range ModelsPaths {
		if path == m {
			return true
		}
	}
	return false
}

// Method is GET for models, POST for chat.
func (p *Plan) Method() string {
	if p.IsModels() {
		return http.MethodGet
	}
	return http.MethodPost
}

// Validate checks the plan before anything is sent.
func (p *Plan) Validate() error {
	if p.Root.IsZero() {
		return fmt.Errorf("no base URL: give one like https://api.carpathian.ai/ai/v1")
	}
	if _, err := ResolvePath(p.Path); err != nil {
		return err
	}
	if len(p.Keys) == 0 {
		return fmt.Errorf("no API key: give --api-key (repeat it to spread calls over several keys)")
	}
	for _, k := range p.Keys {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\r\n") {
			return fmt.Errorf("API key %s is empty or holds whitespace", target.Redact(k))
		}
	}
	if !p.IsModels() && len(p.Bodies) == 0 {
		return fmt.Errorf("no chat body: give a prompt, a prompts file or a recorded body")
	}
	if len(p.Requested) > 0 && len(p.Requested) != len(p.Bodies) {
		return fmt.Errorf("%d requested lengths for %d bodies", len(p.Requested), len(p.Bodies))
	}
	if p.Profile == nil {
		return fmt.Errorf("no load profile")
	}
	if p.Timeout < 0 {
		return fmt.Errorf("timeout %s must be positive", p.Timeout)
	}
	return nil
}

// Call is which key and body call seq uses: keys round-robin (exactly even),
// bodies sampled by a seeded hash of seq (repeatable, lock-free).
func (p *Plan) Call(seq uint64) (key, body int) {
	key = int(seq % uint64(len(p.Keys)))
	switch len(p.Bodies) {
	case 0:
		return key, -1
	case 1:
		return key, 0
	}
	return key, int(splitmix64(p.Seed^seq) % uint64(len(p.Bodies)))
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Estimate is the plan's cost, stated before a run starts.
type Estimate struct {
	Duration time.Duration
	// Calls is the planned number of calls (the mean, for Poisson arrivals),
	// capped by MaxCalls; CallsBounded is false when only MaxCalls bounds it
	// (a closed loop) and MaxCalls is 0.
	Calls        int64
	CallsBounded bool
	// TokensPerCall is the worst case of one call: every prompt byte a token,
	// plus a per-message overhead, plus max_tokens. TokensBounded is false when
	// a body sets no max_tokens.
	TokensPerCall int64
	TokensBounded bool
	Tokens        int64 // Calls × TokensPerCall, when both are bounded
}

// promptOverhead bounds the tokens a chat template adds around each message.
const promptOverhead = 8

// Estimate works out the plan's worst-case calls and tokens.
func (p *Plan) Estimate() Estimate {
	e := Estimate{TokensBounded: true}
	if p.Profile != nil {
		e.Duration = p.Profile.Duration()
		e.Calls, e.CallsBounded = p.Profile.Calls()
	}
	if p.MaxCalls > 0 && (!e.CallsBounded || e.Calls > p.MaxCalls) {
		e.Calls, e.CallsBounded = p.MaxCalls, true
	}
	if !p.IsModels() {
		for _, b := range p.Bodies {
			n, ok := worstCaseTokens(b)
			e.TokensPerCall = max(e.TokensPerCall, n)
			e.TokensBounded = e.TokensBounded && ok
		}
	}
	if e.CallsBounded && e.TokensBounded {
		e.Tokens = e.Calls * e.TokensPerCall
	}
	return e
}

func worstCaseTokens(body []byte) (int64, bool) {
	var req struct {
		Messages []struct {
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		MaxTokens           int64 `json:"max_tokens"`
		MaxCompletionTokens int64 `json:"max_completion_tokens"`
	}
	if json.Unmarshal(body, &req) != nil {
		return 0, false
	}
	var n int64
	for _, m := range req.Messages {
		n += int64(len(m.Content)) + promptOverhead
	}
	limit := req.MaxTokens
	if req.MaxCompletionTokens > 0 && (limit == 0 || req.MaxCompletionTokens < limit) {
		limit = req.MaxCompletionTokens
	}
	return n + limit, limit > 0
}

// ChatBodies builds one chat body per message list, each asking for at most
// maxTokens (0 leaves max_tokens out: the run's worst case is then unbounded).
func ChatBodies(prompts [][]target.Message, maxTokens int) [][]byte {
	bodies := make([][]byte, len(prompts))
	for i, msgs := range prompts {
		bodies[i] = target.JSON(target.ChatRequest{Model: "default", Messages: msgs, MaxTokens: maxTokens})
	}
	return bodies
}

// Prompt is a single user message.
func Prompt(text string) []target.Message {
	return []target.Message{{Role: "user", Content: text}}
}

// ReadPrompts reads a prompts file: one prompt per line, each either plain
// text (a user message) or a JSON message list
// ([{"role":"system","content":"..."},{"role":"user","content":"..."}]).
// Blank lines are skipped.
func ReadPrompts(r io.Reader) ([][]target.Message, error) {
	var out [][]target.Message
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if !strings.HasPrefix(text, "[") {
			out = append(out, Prompt(text))
			continue
		}
		var msgs []target.Message
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&msgs); err != nil {
			return nil, fmt.Errorf("line %d: a line starting with [ must be a JSON message list like [{\"role\":\"user\",\"content\":\"hi\"}] (%v)", line, err)
		}
		if len(msgs) == 0 {
			return nil, fmt.Errorf("line %d: the message list is empty", line)
		}
		for _, m := range msgs {
			if m.Role == "" || m.Content == "" {
				return nil, fmt.Errorf("line %d: every message needs a role and a content", line)
			}
		}
		out = append(out, msgs)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading prompts: %v", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no prompts: the file holds only blank lines")
	}
	return out, nil
}

// RecordedBody checks a recorded chat request body (a JSON object with a
// messages list) and returns it compacted, to be sent as it is.
func RecordedBody(b []byte) ([]byte, error) {
	var v struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("not a JSON chat request object (%v)", err)
	}
	if len(v.Messages) == 0 {
		return nil, fmt.Errorf("the request has no messages list: record a chat completions body")
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
