package suites

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/carpathian-ai/carpathian-conform/contract"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// The table probes every point the contract's Domain paragraph names: a
// clause probed on one path only would pass a deployment that breaks it on
// another.
func TestDomainCoversEveryPoint(t *testing.T) {
	rows := Rows()
	has := map[string]bool{} // clause|path|key|variant|sdk
	byClause := map[string]int{}
	for _, r := range rows {
		p := r.Probe
		has[key(r.Clause, p)] = true
		byClause[r.Clause]++
	}
	for _, c := range contract.Clauses {
		if c.Area() != "rate" && byClause[c.ID] == 0 {
			t.Errorf("%s has no row", c.ID)
		}
	}
	want := func(clause string, p Probe) {
		t.Helper()
		if !has[key(clause, p)] {
			t.Errorf("no %s row on %s", clause, p)
		}
	}
	for _, path := range chatPaths {
		for _, role := range []struct {
			k      KeyRole
			clause string
		}{{KeyNone, "AUTH-1"}, {KeyUnknown, "AUTH-2"}, {KeyRevoked, "AUTH-3"}, {KeyForeign, "AUTH-4"}, {KeyBasic, "AUTH-4"},
			{KeyEmpty, "AUTH-4"}, {KeyLowercase, "AUTH-5"}, {KeyExhausted, "BILL-1"}, {KeyForbidden, "ACCESS-1"}, {KeyLocked, "ACCESS-2"}} {
			p := Probe{Path: path, Key: role.k, Variant: VariantPlain}
			want(role.clause, p)
			if role.k != KeyLowercase {
				want("ERR-1", p)
			}
			want("ERR-2", p)
		}
		for _, clause := range []string{"CHAT-1", "CHAT-2", "CHAT-3", "CHAT-4", "MODEL-4"} {
			want(clause, Probe{Path: path, Key: KeyValid, Variant: VariantPlain})
		}
		want("CHAT-8", Probe{Path: path, Key: KeyValid, Variant: VariantStream})
		want("MODEL-1", Probe{Path: path, Key: KeyValid, Variant: VariantNoModel})
		want("MODEL-3", Probe{Path: path, Key: KeyValid, Variant: VariantModelOther})
		want("MODEL-3", Probe{Path: path, Key: KeyValid, Variant: VariantModelUnusual})
		want("MODEL-4", Probe{Path: path, Key: KeyValid, Variant: VariantModelUnusual})
		want("CHAT-5", Probe{Path: path, Key: KeyValid, Variant: VariantTemperatureMid})
		want("MODEL-2", Probe{Path: path, Key: KeyValid, Variant: VariantStream})
		want("ERR-3", Probe{Path: path, Key: KeyValid, Variant: VariantNoMessages})
		want("ERR-1", Probe{Path: path, Key: KeyValid, Variant: VariantPlain})
		if path != target.PathChat {
			want("CHAT-5", Probe{Path: path, Key: KeyValid, Variant: VariantFieldsLow})
			want("CHAT-6", Probe{Path: path, Key: KeyValid, Variant: VariantFieldsLow})
			want("CHAT-5", Probe{Path: path, Key: KeyValid, Variant: VariantFieldsHigh})
		}
		for _, clause := range routeClauses(path) {
			want(clause, Probe{Path: path, Key: KeyValid, Variant: VariantPlain})
		}
	}
	for _, path := range modelsPaths {
		for _, c := range []struct {
			k      KeyRole
			clause string
		}{{KeyValid, "MODELS-1"}, {KeyValid, "MODELS-2"}, {KeyValid, "MODELS-3"}, {KeyNone, "AUTH-1"}, {KeyUnknown, "AUTH-2"},
			{KeyRevoked, "AUTH-3"}, {KeyLowercase, "AUTH-5"}, {KeyExhausted, "MODELS-4"}} {
			want(c.clause, Probe{Path: path, Key: c.k})
		}
	}
	want("ROUTE-5", Probe{Path: "/models", Key: KeyValid})
	want("ROUTE-5", Probe{Path: "/v1/chat/completions/models", Key: KeyValid})
	primary := target.PathChat
	for v, clause := range map[Variant]string{VariantPlain: "MODEL-2", VariantNoModel: "MODEL-1", VariantModelOther: "MODEL-3",
		VariantTemperature0: "CHAT-5", VariantTemperature2: "CHAT-5", VariantMaxTokens: "CHAT-6",
		VariantResponseFormat: "CHAT-7", VariantConversation: "CHAT-5", VariantInvalidJSON: "ERR-3", VariantNoMessages: "ERR-3",
		VariantEmptyMessages: "ERR-3", VariantMessagesNotArray: "ERR-3"} {
		want(clause, Probe{Path: primary, Key: KeyValid, Variant: v})
	}
	for _, v := range []Variant{VariantNoModel, VariantModelOther} {
		want("MODEL-4", Probe{Path: primary, Key: KeyValid, Variant: v})
	}
	for _, k := range []KeyRole{KeyUnknown, KeyExhausted, KeyForbidden} {
		want("SDK-2", Probe{Path: primary, Key: k, Variant: VariantPlain, SDK: true})
	}
	for _, shape := range target.BaseShapes {
		want("SDK-1", Probe{Path: string(shape) + target.PathAliasChatComp, Key: KeyValid, Variant: VariantPlain, SDK: true})
		want("SDK-2", Probe{Path: string(shape) + target.PathAliasChatComp, Key: KeyUnknown, Variant: VariantPlain, SDK: true})
	}
}

func key(clause string, p Probe) string { return clause + "|" + p.id() }

// Every row's labels are valid Ginkgo labels, and a probe's id names it
// alone: the plan counts calls by it.
func TestRowLabelsAndProbeIDs(t *testing.T) {
	ids := map[string]Probe{}
	names := map[string]bool{}
	for _, r := range Rows() {
		if names[r.Name()] {
			t.Errorf("two rows are named %q", r.Name())
		}
		names[r.Name()] = true
		for _, l := range rowLabels(r) {
			if _, err := types.ValidateAndCleanupLabel(l, types.CodeLocation{}); err != nil {
				t.Errorf("%s: label %q: %v", r.Name(), l, err)
			}
		}
		if other, ok := ids[r.Probe.id()]; ok && other != r.Probe {
			t.Errorf("probes %v and %v share the id %q", other, r.Probe, r.Probe.id())
		}
		ids[r.Probe.id()] = r.Probe
		if r.Requirement() == "" {
			t.Errorf("%s: no requirement text for %s", r.Name(), r.Clause)
		}
	}
}

// Costs: only a chat call a conformant target serves spends tokens.
func TestRowCosts(t *testing.T) {
	for _, c := range []struct {
		p    Probe
		want Cost
	}{
		{Probe{Path: target.PathChat, Key: KeyValid, Variant: VariantPlain}, CostLow},
		{Probe{Path: target.PathChat, Key: KeyLowercase, Variant: VariantStream}, CostLow},
		{Probe{Path: target.PathChat, Key: KeyRevoked, Variant: VariantPlain}, CostNone},
		{Probe{Path: target.PathChat, Key: KeyValid, Variant: VariantNoMessages}, CostNone},
		{Probe{Path: target.PathModels, Key: KeyValid}, CostNone},
	} {
		if got := (Row{Probe: c.p}).Cost(); got != c.want {
			t.Errorf("%v: cost %s, want %s", c.p, got, c.want)
		}
	}
}

// The table's size, for the plan and the README: rows, distinct probes, and
// (clause, scope) points.
func TestDomainSize(t *testing.T) {
	rows := Rows()
	probes := map[Probe]bool{}
	points := map[string]bool{}
	for _, r := range rows {
		probes[r.Probe] = true
		for _, s := range r.Scopes() {
			points[r.Clause+"@"+s] = true
		}
	}
	if len(rows) < 500 || len(probes) < 120 {
		t.Errorf("%d rows over %d probes: the domain shrank", len(rows), len(probes))
	}
	t.Logf("%d rows, %d distinct probes, %d (clause, scope-label) points", len(rows), len(probes), len(points))
}
