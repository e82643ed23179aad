package suites

import (
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"slices"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// ROUTE: every documented path and base-URL shape routes.
func routeSpecs() {
	It("POST {root}/v1/chat/completions answers a chat completion", Clause("ROUTE-1", CostLow, 1), func(ctx SpecContext) {
		ex := postChat(ctx, target.PathChat, ordinaryChat(ctx))
		holds(judge.CheckServed(ex), ex)
	})

	var aliases []TableEntry
	for _, alias := range target.ChatAliases {
		aliases = append(aliases, Entry("POST {root}"+alias, alias))
	}
	table("the chat aliases answer the chat-completion shape", Clause("ROUTE-2", CostLow, 1),
		func(ctx SpecContext, alias string) {
			ex := postChat(ctx, alias, ordinaryChat(ctx))
			holds(judge.CheckServed(ex), ex)
		}, aliases...)

	var shapes []TableEntry
	for _, shape := range target.BaseShapes {
		shapes = append(shapes, Entry(fmt.Sprintf("base {root}%s + /chat/completions", shape), shape))
	}
	table("a client with each base-URL shape reaches chat", Clause("ROUTE-3", CostLow, 1),
		func(ctx SpecContext, shape target.BaseShape) {
			u := rt.cfg.Root.Base(shape) + target.PathAliasChatComp
			ex := send(ctx, target.Request{Method: "POST", URL: u, Body: ordinaryChat(ctx)})
			holds(judge.CheckServed(ex), ex)
		}, shapes...)

	It("GET {root}/v1/models answers", Clause("ROUTE-4", CostNone, 1), func(ctx SpecContext) {
		ex := send(ctx, target.Request{Path: target.PathModels})
		holds(judge.CheckStatus(ex, 200), ex)
		_, err := judge.DecodeObject(ex.Body)
		holds(err, ex)
	})

	table("models under the other base shapes answers the same list", Clause("ROUTE-5", CostNone, 2),
		func(ctx SpecContext, path string) {
			ref := send(ctx, target.Request{Path: modelsPath(ctx)})
			ex := send(ctx, target.Request{Path: path})
			holds(judge.CheckStatus(ex, 200), ex)
			got, err := judge.ModelIDs(ex.Body)
			holds(err, ex)
			if want, err := judge.ModelIDs(ref.Body); err == nil && ref.Status == 200 && !slices.Equal(got, want) {
				violated(fmt.Sprintf("GET {root}%s lists %q, {root}%s lists %q", path, got, modelsPath(ctx), want), ex, ref)
			}
		},
		Entry("GET {root}/models", "/models"),
		Entry("GET {root}/v1/chat/completions/models", string(target.ShapeChat)+"/models"),
	)
}
