package suites

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Probe is one request the suite sends, named by the point of the contract's
// domain it stands on: a path (relative to the root), a key role and a
// request variant, sent over plain HTTP or through the official SDK. Rows
// that name the same probe judge one and the same reply.
type Probe struct {
	Path    string // relative to the root: target.PathChat, "/models", ...
	Key     KeyRole
	Variant Variant // VariantNone for models
	SDK     bool    // sent by the OpenAI Go SDK, whose base is Path minus "/chat/completions"
	// LowerBearer sends the role's key with the scheme spelled "bearer":
	// a refusing key must be refused however the scheme is written (AUTH-5).
	LowerBearer bool
}

// Reply is what a probe got: the exchange, and through the SDK what the SDK
// made of it.
type Reply struct {
	Ex     *target.Exchange
	SDK    *sdkOutcome // SDK probes only
	SDKExs []*target.Exchange
}

func (p Probe) method() string {
	if p.Variant == VariantNone {
		return http.MethodGet
	}
	return http.MethodPost
}

// Endpoint is "chat" or "models".
func (p Probe) Endpoint() string {
	if p.Variant == VariantNone {
		return "models"
	}
	return "chat"
}

// served tells whether a conformant target serves the probe (it costs tokens).
func (p Probe) served() bool {
	return p.Endpoint() == "chat" && p.Key.live() && !p.Variant.malformed()
}

// String names the probe in spec names: "POST {root}/chat, revoked key, stream".
func (p Probe) String() string {
	s := p.method() + " {root}" + p.Path
	if p.SDK {
		s = "the SDK with base {root}" + strings.TrimSuffix(p.Path, target.PathAliasChatComp)
	}
	if p.Key != KeyValid {
		s += ", " + p.Key.text()
	}
	if p.LowerBearer {
		s += " as \"bearer cai_...\""
	}
	if p.Variant != VariantNone && p.Variant != VariantPlain {
		s += ", " + string(p.Variant)
	}
	return s
}

// id is the probe as a Ginkgo label value (no '/'), so that the plan counts
// each distinct call once.
func (p Probe) id() string {
	parts := []string{labelSafe(p.Path), string(p.Key), string(p.Variant)}
	if p.SDK {
		parts = append(parts, "sdk")
	}
	if p.LowerBearer {
		parts = append(parts, "lower")
	}
	return strings.Join(parts, ".")
}

// labelSafe writes a path as a label value: "/v1/chat" -> "v1-chat", "" -> "root".
func labelSafe(path string) string {
	s := strings.ReplaceAll(strings.Trim(path, "/"), "/", "-")
	if s == "" {
		return "root"
	}
	return s
}

// KeyRole is the credential a probe sends, one point of the key dimension
// (the names are the fixtures' scope names).
type KeyRole string

const (
	KeyValid     KeyRole = "valid-key"        // --api-key
	KeyNone      KeyRole = "no-key"           // no Authorization header
	KeyUnknown   KeyRole = "unknown-key"      // a well-formed cai_ key no target knows
	KeyForeign   KeyRole = "foreign-key"      // Bearer sk-...
	KeyBasic     KeyRole = "basic"            // Basic KEY:KEY (the run's key as user and password)
	KeyEmpty     KeyRole = "empty-bearer"     // "Bearer "
	KeyLowercase KeyRole = "lowercase-bearer" // "bearer cai_..." (the run's key)
	KeyUppercase KeyRole = "uppercase-bearer" // "BEARER cai_..." (the run's key)
	KeyMistyped  KeyRole = "mistyped-key"     // the run's key with its last character changed
	KeyRaw       KeyRole = "raw-key"          // "Authorization: cai_..." with no scheme (the run's key)
	KeyRevoked   KeyRole = "revoked"          // --revoked-key
	KeyExhausted KeyRole = "exhausted"        // --exhausted-key
	KeyForbidden KeyRole = "forbidden"        // --forbidden-key
	KeyLocked    KeyRole = "locked"           // --locked-key
)

// live tells whether the role is the run's own valid key (in either spelling).
func (k KeyRole) live() bool { return k == KeyValid || k == KeyLowercase || k == KeyUppercase }

// credentials is the Authorization a role sends: a verbatim header (auth),
// or a key sent as "Bearer KEY".
func (k KeyRole) credentials(keys Keys) (auth *string, key string) {
	switch k {
	case KeyNone:
		return authHeader(""), ""
	case KeyUnknown:
		return nil, unknownKey
	case KeyForeign:
		return authHeader("Bearer sk-proj-0123456789abcdefghijklmnopqrstuv"), ""
	case KeyBasic:
		return authHeader("Basic " + basicCredentials(keys.API)), ""
	case KeyEmpty:
		return authHeader("Bearer "), ""
	case KeyLowercase:
		return authHeader("bearer " + keys.API), ""
	case KeyUppercase:
		return authHeader("BEARER " + keys.API), ""
	case KeyMistyped:
		return nil, mistyped(keys.API)
	case KeyRaw:
		return authHeader(keys.API), ""
	case KeyRevoked:
		return nil, keys.Revoked
	case KeyExhausted:
		return nil, keys.Exhausted
	case KeyForbidden:
		return nil, keys.Forbidden
	case KeyLocked:
		return nil, keys.Locked
	}
	return nil, keys.API
}

// basicCredentials carries key as the user and the password of Basic
// credentials: a Basic credential is refused however good the key in it
// (AUTH-4), and a target reading the key from either shows.
func basicCredentials(key string) string {
	return base64.StdEncoding.EncodeToString([]byte(key + ":" + key))
}

// mistyped is key with its last character changed: a key that only a target
// comparing part of the key would take (AUTH-2's "mistyped").
func mistyped(key string) string {
	if key == "" {
		return ""
	}
	last := byte('0')
	if key[len(key)-1] == last {
		last = '1'
	}
	return key[:len(key)-1] + string(last)
}

// missing is the flag of a key the role needs and the run was not given.
func (k KeyRole) missing(keys Keys) string {
	flags := map[KeyRole]struct{ key, flag string }{
		KeyRevoked: {keys.Revoked, "--revoked-key"}, KeyExhausted: {keys.Exhausted, "--exhausted-key"},
		KeyForbidden: {keys.Forbidden, "--forbidden-key"}, KeyLocked: {keys.Locked, "--locked-key"},
	}
	if f, ok := flags[k]; ok && f.key == "" {
		return f.flag
	}
	return ""
}

func (k KeyRole) text() string {
	switch k {
	case KeyNone:
		return "no Authorization"
	case KeyUnknown:
		return "an unknown cai_ key"
	case KeyForeign:
		return "Bearer sk-..."
	case KeyBasic:
		return "Basic ..."
	case KeyEmpty:
		return "an empty Bearer"
	case KeyLowercase:
		return "\"bearer cai_...\""
	case KeyUppercase:
		return "\"BEARER cai_...\""
	case KeyMistyped:
		return "the key mistyped (its last character changed)"
	case KeyRaw:
		return "the key with no scheme (Authorization: cai_...)"
	}
	return "a " + string(k) + " key"
}

// Variant is a probe's request body, one point of the request dimension (the
// names are the fixtures' scope names).
type Variant string

const (
	VariantNone           Variant = ""      // models: a GET without body
	VariantPlain          Variant = "plain" // the contract's chat payload: model "default", no max_tokens
	VariantNoModel        Variant = "no-model"
	VariantModelOther     Variant = "model-other"
	VariantModelUnusual   Variant = "model-unusual" // a made-up name no vendor serves
	VariantTemperature0   Variant = "temperature-0"
	VariantTemperatureMid Variant = "temperature-mid" // 0.7: inside the range, not an end of it
	VariantTemperature2   Variant = "temperature-2"
	VariantMaxTokens      Variant = "max-tokens"
	VariantResponseFormat Variant = "response-format"
	VariantStream         Variant = "stream"
	VariantConversation   Variant = "conversation"
	// The optional fields together, one probe each per path beyond the
	// primary one (where each field has its own probe): temperature 0 with
	// max_tokens and a conversation, and temperature 2 with response_format.
	VariantFieldsLow        Variant = "fields-t0"
	VariantFieldsHigh       Variant = "fields-t2"
	VariantInvalidJSON      Variant = "invalid-json"
	VariantNoMessages       Variant = "no-messages"
	VariantEmptyMessages    Variant = "empty-messages"
	VariantMessagesNotArray Variant = "messages-not-array" // a string, the contract's example: "messages":"hi"
	VariantMessagesObject   Variant = "messages-object"    // one message object, not in an array (primary path)
)

// The prompts of the variants that need another one: a count runs past a
// small max_tokens; json_object wants JSON asked for.
const (
	countPrompt = "Count from one to twenty in words."
	jsonPrompt  = `Reply with the JSON object {"ok": true} and nothing else.`
)

// conversation is system, user and assistant turns, then the user's ask.
func conversation(ask string) []target.Message {
	return []target.Message{
		{Role: "system", Content: "You answer briefly."},
		{Role: "user", Content: "Say hello."},
		{Role: "assistant", Content: "Hello."},
		{Role: "user", Content: ask},
	}
}

// modelClause is the MODEL clause a served chat body stands under: the
// model it names (none, "default" or another).
func (v Variant) modelClause() string {
	switch v {
	case VariantNoModel:
		return "MODEL-1"
	case VariantModelOther, VariantModelUnusual:
		return "MODEL-3"
	}
	return "MODEL-2"
}

// otherModel is a model name the target does not bind: it must be ignored.
// unusualModel is one no vendor serves, fixed, so a target that echoes only
// names it does not know shows too.
const (
	otherModel   = "gpt-4o"
	unusualModel = "carpathian-conform-probe"
)

// cappedTokens is the max_tokens CHAT-6 sends, with a prompt that would run
// past it.
const cappedTokens = 3

func (v Variant) malformed() bool {
	switch v {
	case VariantInvalidJSON, VariantNoMessages, VariantEmptyMessages, VariantMessagesNotArray, VariantMessagesObject:
		return true
	}
	return false
}

// body is the variant's request body: the contract's chat payload changed in
// one respect only.
func (v Variant) body() []byte {
	switch v {
	case VariantNone:
		return nil
	case VariantInvalidJSON:
		return []byte(`{"model":"default","messages":[`)
	case VariantNoMessages:
		return []byte(`{"model":"default"}`)
	case VariantEmptyMessages:
		return []byte(`{"model":"default","messages":[]}`)
	case VariantMessagesNotArray:
		return []byte(`{"model":"default","messages":"hi"}`)
	case VariantMessagesObject:
		return []byte(`{"model":"default","messages":{"role":"user","content":"` + prompt + `"}}`)
	}
	req := target.ChatRequest{Model: "default", Messages: []target.Message{{Role: "user", Content: prompt}}}
	temperature := func(t float64) { req.Temperature = &t }
	switch v {
	case VariantNoModel:
		req.Model = ""
	case VariantModelOther:
		req.Model = otherModel
	case VariantModelUnusual:
		req.Model = unusualModel
	case VariantTemperature0:
		temperature(0)
	case VariantTemperatureMid:
		temperature(0.7)
	case VariantTemperature2:
		temperature(2)
	case VariantMaxTokens:
		req.MaxTokens = cappedTokens
		req.Messages[0].Content = countPrompt
	case VariantResponseFormat, VariantFieldsHigh:
		req.ResponseFormat = &target.ResponseFormat{Type: "json_object"}
		req.Messages[0].Content = jsonPrompt
	case VariantStream:
		req.Stream = true
	case VariantConversation:
		req.Messages = conversation(prompt)
	}
	if v == VariantFieldsLow {
		temperature(0)
		req.MaxTokens = cappedTokens
		req.Messages = conversation(countPrompt)
	}
	if v == VariantFieldsHigh {
		temperature(2)
	}
	return target.JSON(req)
}
