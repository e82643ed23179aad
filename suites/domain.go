package suites

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// Row is one point of a clause's domain, h2spec-style: the clause, the probe
// (path, key role, request variant) whose reply it judges, an optional
// reference reply, and the expectation, a pure function of internal/judge.
// The Ginkgo specs are generated from the rows (specs.go); rows that name the
// same probe share one call.
type Row struct {
	Clause string
	Probe  Probe
	Ref    *Probe // a reply the expectation reads too: the models list, or the path's routing for the run's key
	Expect Expectation
	// Compared tells whether a violation is about the reference too (the
	// models list MODEL-4 and ROUTE-5 compare with): it joins the evidence.
	Compared bool
	// Peeked tells that the reference is read only if the run made it (a
	// served call a cost:none selection does not make): it only excuses.
	Peeked bool
}

// Expectation is what a row wants of its reply, in words and as a check.
type Expectation struct {
	Text  string
	Check func(got, ref *Reply) (note string, err error)
}

// Requirement is the row's clause as CONTRACT.md words it.
func (r Row) Requirement() string { return contract.MustLookup(r.Clause).Requirement() }

// Name is the row's spec text, one per row (--rerun-failed finds specs by
// it): the probe, the clause, then what it expects.
func (r Row) Name() string { return r.Probe.String() + ": " + r.Clause + ", " + r.Expect.Text }

// Cost is what the row's probe spends: tokens only when it is served.
func (r Row) Cost() Cost {
	if r.Probe.served() {
		return CostLow
	}
	return CostNone
}

// Scopes are the points of the domain the row stands on, as label values:
// the endpoint, the path, the key role and the request variant.
func (r Row) Scopes() []string {
	p := r.Probe
	s := []string{p.Endpoint(), "path." + labelSafe(p.Path), "key." + string(p.Key)}
	if p.Variant != VariantNone {
		s = append(s, "variant."+string(p.Variant))
	}
	if p.SDK {
		s = append(s, "sdk")
	}
	if p.LowerBearer {
		s = append(s, "key."+string(KeyLowercase))
	}
	return s
}

// The domain's paths, relative to the root.
var (
	// chatPaths are the five documented chat paths and the third base
	// shape's (ROUTE-1..3); the first is the primary, where request variants
	// are probed.
	chatPaths = []string{target.PathChat, target.PathAliasChatComp, target.PathAliasChat, target.PathAliasV1, target.PathAliasComp,
		string(target.ShapeChat) + target.PathAliasChatComp}
	// modelsPaths are what a client of each base shape lists models with; the
	// first is ROUTE-4's and the reference of ROUTE-5 and MODEL-4.
	modelsPaths = []string{target.PathModels, "/models", string(target.ShapeChat) + "/models"}
)

// credentials are the Authorization a chat call must be refused for, with
// their clause and status: no key, every bad credential, then the refusing keys.
var credentials = append([]struct {
	role   KeyRole
	clause string
	status int
}{
	{KeyNone, "AUTH-1", http.StatusUnauthorized}, {KeyMistyped, "AUTH-2", http.StatusUnauthorized},
	{KeyForeign, "AUTH-4", http.StatusUnauthorized}, {KeyBasic, "AUTH-4", http.StatusUnauthorized},
	{KeyEmpty, "AUTH-4", http.StatusUnauthorized}, {KeyRaw, "AUTH-4", http.StatusUnauthorized},
}, refusing...)

// refusing are the keys that must be refused on chat, with their clause and status.
var refusing = []struct {
	role   KeyRole
	clause string
	status int
}{
	{KeyUnknown, "AUTH-2", http.StatusUnauthorized}, {KeyRevoked, "AUTH-3", http.StatusUnauthorized},
	{KeyExhausted, "BILL-1", http.StatusPaymentRequired}, {KeyForbidden, "ACCESS-1", http.StatusForbidden},
	{KeyLocked, "ACCESS-2", http.StatusForbidden},
}

// routeClause is the ROUTE clause(s) a chat path stands under.
func routeClauses(path string) []string {
	var out []string
	switch path {
	case target.PathChat:
		out = append(out, "ROUTE-1")
	case string(target.ShapeChat) + target.PathAliasChatComp:
	default:
		out = append(out, "ROUTE-2")
	}
	for _, shape := range target.BaseShapes {
		if path == string(shape)+target.PathAliasChatComp {
			out = append(out, "ROUTE-3")
		}
	}
	return out
}

// Rows is the domain table: every clause over every point of its domain.
func Rows() []Row {
	var rows []Row
	add := func(p Probe, clause string, e Expectation) {
		rows = append(rows, Row{Clause: clause, Probe: p, Expect: e})
	}
	ref := func(p Probe, clause string, ref Probe, e Expectation) {
		rows = append(rows, Row{Clause: clause, Probe: p, Ref: &ref, Expect: e})
	}
	compare := func(p Probe, clause string, ref Probe, e Expectation) {
		rows = append(rows, Row{Clause: clause, Probe: p, Ref: &ref, Expect: e, Compared: true})
	}
	listing := Probe{Path: modelsPaths[0], Key: KeyValid}
	// served adds the rows of a chat probe that must be served: its own
	// clauses and (but for an optional field's CHAT-5 probe) the MODEL
	// clause of the model it names judge the whole
	// completion, CHAT-1..4 their part of it, MODEL-4 the model it answers,
	// ERR-1 that a 2xx is a completion, ERR-2 the body of a 4xx it may get
	// instead.
	served := func(p Probe, e Expectation, clauses ...string) {
		// A CHAT-5 row's failure is the optional field's: the model it
		// names is judged on the rows that vary the model alone.
		if p.Key == KeyValid && !slices.Contains(clauses, "CHAT-5") {
			clauses = append(clauses, p.Variant.modelClause())
		}
		for _, c := range clauses {
			add(p, c, e)
		}
		add(p, "CHAT-1", expectEnvelope)
		add(p, "CHAT-2", expectChoices)
		add(p, "CHAT-3", expectUsage)
		add(p, "CHAT-4", expectFields)
		compare(p, "MODEL-4", listing, expectBinding)
		add(p, "ERR-1", expectNotErrorAs200)
		add(p, "ERR-2", expectErrorEnvelope)
	}
	// refused adds the rows of a call that must be refused with status; a
	// refusal the run's key gets too (route: the same request with the
	// key), a 404 above all, is the route's or the request's failure, not
	// the key's.
	refused := func(p Probe, clause string, status int, route Probe) {
		rows = append(rows, Row{Clause: clause, Probe: p, Ref: &route, Expect: expectRefused(status), Peeked: route.served()})
		if p.Endpoint() == "chat" {
			add(p, "ERR-1", expectNotErrorAs200)
		} else {
			add(p, "ERR-1", expectNotErrorAs200Models)
		}
		add(p, "ERR-2", expectErrorEnvelope)
	}

	primary := chatPaths[0]
	for _, path := range chatPaths {
		p := func(k KeyRole, v Variant) Probe { return Probe{Path: path, Key: k, Variant: v} }
		served(p(KeyValid, VariantPlain), expectServed, routeClauses(path)...)
		served(p(KeyValid, VariantNoModel), expectServed)
		served(p(KeyValid, VariantModelOther), expectServed)
		served(p(KeyValid, VariantStream), expectNotStreamed, "CHAT-8")
		served(p(KeyLowercase, VariantPlain), expectServed, "AUTH-5")
		// A name no vendor serves besides gpt-4o, and a temperature inside
		// the range besides its ends (the combined probes' 0 and 2), on
		// every path: a path whose handler rejects or echoes unknown names,
		// or reads temperature as an integer, breaks the clause there.
		served(p(KeyValid, VariantModelUnusual), expectServed)
		served(p(KeyValid, VariantTemperatureMid), expectServed, "CHAT-5")
		if path == primary {
			for _, v := range []Variant{VariantTemperature0, VariantTemperature2, VariantMaxTokens, VariantResponseFormat, VariantConversation} {
				served(p(KeyValid, v), expectServed, "CHAT-5")
			}
			add(p(KeyValid, VariantMaxTokens), "CHAT-6", expectMaxTokens)
			add(p(KeyValid, VariantResponseFormat), "CHAT-7", expectJSONContent)
		} else {
			served(p(KeyValid, VariantFieldsLow), expectServed, "CHAT-5")
			add(p(KeyValid, VariantFieldsLow), "CHAT-6", expectMaxTokens)
			served(p(KeyValid, VariantFieldsHigh), expectServed, "CHAT-5")
		}

		// Malformed requests, each kind on every path; messages as an
		// object besides a string on the primary one.
		malformed := []Variant{VariantInvalidJSON, VariantNoMessages, VariantEmptyMessages, VariantMessagesNotArray}
		if path == primary {
			malformed = append(malformed, VariantMessagesObject)
		}
		for _, v := range malformed {
			add(p(KeyValid, v), "ERR-3", expectMalformed)
			add(p(KeyValid, v), "ERR-1", expectNotErrorAs200)
			add(p(KeyValid, v), "ERR-2", expectErrorEnvelope)
		}

		// Keys, budgets and access on every chat path. The path routes when
		// it serves the run's key the plain payload.
		route := p(KeyValid, VariantPlain)
		for _, c := range credentials {
			refused(p(c.role, VariantPlain), c.clause, c.status, route)
		}
		if path == primary {
			// The scheme in capitals too (case-insensitive, not two spellings).
			served(p(KeyUppercase, VariantPlain), expectServed, "AUTH-5")
			// Each refused credential also with stream: true and with
			// another model named (a handler of its own, a routing by
			// model ahead of the key check), each refusing key also with
			// no model and with the scheme spelled "bearer": refused
			// however it is asked (refusals cost no tokens). Each is
			// judged against the run's key with the same body.
			for _, c := range credentials {
				for _, v := range []Variant{VariantStream, VariantModelOther} {
					refused(p(c.role, v), c.clause, c.status, p(KeyValid, v))
				}
			}
			// The run's key in that spelling tells a refused scheme from a
			// wrongly refused key.
			ownLower := p(KeyLowercase, VariantPlain)
			for _, k := range refusing {
				lower := p(k.role, VariantPlain)
				lower.LowerBearer = true
				refused(p(k.role, VariantNoModel), k.clause, k.status, p(KeyValid, VariantNoModel))
				rows = append(rows, Row{Clause: k.clause, Probe: lower, Ref: &ownLower, Expect: expectRefusedAnyScheme(k.status), Peeked: ownLower.served()})
				add(lower, "ERR-1", expectNotErrorAs200)
				add(lower, "ERR-2", expectErrorEnvelope)
			}
		}
	}

	// Models on each path a client's base shape lists it with; the keys
	// whose clauses name models.
	for i, path := range modelsPaths {
		p := func(k KeyRole) Probe { return Probe{Path: path, Key: k} }
		if i == 0 {
			add(p(KeyValid), "ROUTE-4", expectModelsAnswer)
		} else {
			compare(p(KeyValid), "ROUTE-5", listing, expectSameList)
		}
		add(p(KeyValid), "MODELS-1", expectModelsList)
		add(p(KeyValid), "MODELS-2", expectModelEntry)
		add(p(KeyValid), "MODELS-3", expectModelFields)
		add(p(KeyValid), "ERR-2", expectErrorEnvelope)
		refused(p(KeyNone), "AUTH-1", http.StatusUnauthorized, p(KeyValid))
		refused(p(KeyUnknown), "AUTH-2", http.StatusUnauthorized, p(KeyValid))
		refused(p(KeyMistyped), "AUTH-2", http.StatusUnauthorized, p(KeyValid))
		refused(p(KeyRevoked), "AUTH-3", http.StatusUnauthorized, p(KeyValid))
		// Keys that must be served the list: judged as the list itself.
		ref(p(KeyLowercase), "AUTH-5", p(KeyValid), expectModelsOK)
		ref(p(KeyUppercase), "AUTH-5", p(KeyValid), expectModelsOK)
		ref(p(KeyExhausted), "MODELS-4", p(KeyValid), expectModelsOK)
		for _, k := range []KeyRole{KeyLowercase, KeyUppercase, KeyExhausted} {
			add(p(k), "ERR-1", expectNotErrorAs200Models)
			add(p(k), "ERR-2", expectErrorEnvelope)
		}
	}

	// The official SDK on each base shape, and its refusals.
	for _, shape := range target.BaseShapes {
		add(Probe{Path: string(shape) + target.PathAliasChatComp, Key: KeyValid, Variant: VariantPlain, SDK: true}, "SDK-1", expectSDKCompletes)
	}
	for _, k := range []KeyRole{KeyUnknown, KeyExhausted, KeyForbidden} {
		add(Probe{Path: target.PathChat, Key: k, Variant: VariantPlain, SDK: true}, "SDK-2", expectSDKTypedError)
	}
	// An unknown key through the SDK on the other base shapes too: a path
	// whose refusals the SDK cannot see as errors breaks SDK-2 there.
	for _, shape := range target.BaseShapes {
		if path := string(shape) + target.PathAliasChatComp; path != target.PathChat {
			add(Probe{Path: path, Key: KeyUnknown, Variant: VariantPlain, SDK: true}, "SDK-2", expectSDKTypedError)
		}
	}
	return rows
}

// The expectations the rows name, each a pure function of the replies.
var (
	expectServed = Expectation{"a chat completion (CHAT-1..3)", func(got, _ *Reply) (string, error) {
		u, err := judge.Completion(got.Ex)
		return fmt.Sprintf("usage %d+%d=%d tokens", u.PromptTokens, u.CompletionTokens, u.TotalTokens), err
	}}
	expectNotStreamed = Expectation{"one JSON chat completion, not event-stream", func(got, _ *Reply) (string, error) {
		return "", judge.ServedNotStreamed(got.Ex)
	}}
	expectEnvelope = Expectation{"a 2xx is 200, application/json, a JSON object", func(got, _ *Reply) (string, error) {
		return "", judge.CompletionEnvelope(got.Ex)
	}}
	expectChoices = Expectation{"choices[0].message.content is a string", func(got, _ *Reply) (string, error) {
		return "", judge.CompletionChoices(got.Ex)
	}}
	expectUsage = Expectation{"usage has integer counts, total = prompt + completion", func(got, _ *Reply) (string, error) {
		_, err := judge.CompletionUsage(got.Ex)
		return "", err
	}}
	expectFields = Expectation{"the OpenAI chat.completion fields", func(got, _ *Reply) (string, error) {
		return "", judge.CompletionFields(got.Ex)
	}}
	expectBinding = Expectation{"names the model models lists", func(got, ref *Reply) (string, error) {
		return "", judge.ModelBinding(ref.Ex, got.Ex)
	}}
	expectMaxTokens = Expectation{"completion_tokens <= max_tokens", func(got, _ *Reply) (string, error) {
		return fmt.Sprintf("completion_tokens within max_tokens %d", cappedTokens), judge.MaxTokensHonoured(got.Ex)
	}}
	expectJSONContent = Expectation{"whether the json_object content is JSON", func(got, _ *Reply) (string, error) {
		return judge.JSONContent(got.Ex)
	}}
	expectNotErrorAs200 = Expectation{"no error answered as 200", func(got, _ *Reply) (string, error) {
		return "", judge.NotAnErrorAs200(got.Ex)
	}}
	expectNotErrorAs200Models = Expectation{"no error answered as 200", func(got, _ *Reply) (string, error) {
		return "", judge.NotAnErrorAs200Models(got.Ex)
	}}
	expectErrorEnvelope = Expectation{"a 4xx body is an OpenAI error envelope", func(got, _ *Reply) (string, error) {
		return "", judge.ErrorEnvelope(got.Ex)
	}}
	expectMalformed = Expectation{"a 4xx, never a 5xx", func(got, _ *Reply) (string, error) {
		return "", judge.Malformed(got.Ex)
	}}
	expectModelsAnswer = Expectation{"200 with a JSON object", func(got, _ *Reply) (string, error) {
		return "", judge.ModelsAnswer(got.Ex)
	}}
	expectSameList = Expectation{"the list {root}/v1/models gives", func(got, ref *Reply) (string, error) {
		return "", judge.SameModelList(ref.Ex, got.Ex)
	}}
	expectModelsList = Expectation{"an OpenAI list holding exactly the model behind the key", func(got, _ *Reply) (string, error) {
		entry, err := judge.ModelsList(got.Ex)
		return "bound model " + judge.Show(entry["id"]), err
	}}
	expectModelEntry = Expectation{"an entry with a non-empty id and object \"model\"", func(got, _ *Reply) (string, error) {
		entry, err := judge.ModelsEntry(got.Ex)
		if err != nil {
			return "", err
		}
		return "", judge.CheckModelEntry(entry)
	}}
	expectModelFields = Expectation{"an entry with an integer created and a string owned_by", func(got, _ *Reply) (string, error) {
		entry, err := judge.ModelsEntry(got.Ex)
		if err != nil {
			return "", err
		}
		return "", judge.CheckModelFields(entry)
	}}
	expectModelsOK = Expectation{"the list, as for the run's key", func(got, route *Reply) (string, error) {
		if err := judge.ServedOnRoute(got.Ex, route.Ex); err != nil {
			return "", err
		}
		_, err := judge.CheckModelsList(got.Ex)
		return "", err
	}}
	expectSDKCompletes = Expectation{"completes a chat call", func(got, _ *Reply) (string, error) {
		return sdkCompleted(got)
	}}
	expectSDKTypedError = Expectation{"a typed API error with its status", func(got, _ *Reply) (string, error) {
		return sdkTypedError(got)
	}}
)

// expectRefusedAnyScheme wants a refusal with status of a key sent as
// "bearer KEY": a 401 refuses the scheme instead when the run's key sent so
// (the reference) gets 401 too, AUTH-5's failure, judged on the run's own key.
func expectRefusedAnyScheme(status int) Expectation {
	return Expectation{expectRefused(status).Text + " (or 401 for the scheme)", func(got, own *Reply) (string, error) {
		var scheme *target.Exchange
		if own != nil {
			scheme = own.Ex
		}
		return judge.RefusedInScheme(got.Ex, scheme, status)
	}}
}

// expectRefused wants a refusal with status.
func expectRefused(status int) Expectation {
	return Expectation{fmt.Sprintf("%d %s", status, http.StatusText(status)), func(got, route *Reply) (string, error) {
		if route == nil { // the route's call was not made (not selected)
			return "", judge.Refused(got.Ex, status)
		}
		return "", judge.RefusedOnRoute(got.Ex, route.Ex, status)
	}}
}
