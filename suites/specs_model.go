package suites

import (
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// MODEL: the key decides the model, whatever the request names.
func modelSpecs() {
	It("serves a chat request with no model", Clause("MODEL-1", CostLow, 1), func(ctx SpecContext) {
		ex := postChat(ctx, chatPath(ctx), chat(func(r *target.ChatRequest) { r.Model = "" }))
		holds(judge.CheckServed(ex), ex)
	})

	It("serves model \"default\"", Clause("MODEL-2", CostLow, 1), func(ctx SpecContext) {
		ex := postChat(ctx, chatPath(ctx), chat())
		holds(judge.CheckServed(ex), ex)
	})

	It("serves any other model name, ignoring it", Clause("MODEL-3", CostLow, 1), func(ctx SpecContext) {
		ex := postChat(ctx, chatPath(ctx), chat(func(r *target.ChatRequest) { r.Model = otherModel }))
		holds(judge.CheckServed(ex), ex)
	})

	It("answers with the listed model id, whatever the request named", Clause("MODEL-4", CostLow, 2), func(ctx SpecContext) {
		list := send(ctx, target.Request{Path: modelsPath(ctx)})
		ids, err := judge.ModelIDs(list.Body)
		if err != nil || list.Status != 200 || len(ids) == 0 {
			Skip("cannot tell: the models list is unreadable (see ROUTE-4, MODELS-1)")
		}
		ex := postChat(ctx, chatPath(ctx), chat(func(r *target.ChatRequest) { r.Model = otherModel }))
		if judge.CheckServed(ex) != nil {
			Skip(fmt.Sprintf("cannot tell: a request naming %q was not served (see MODEL-3)", otherModel))
		}
		obj, err := judge.DecodeObject(ex.Body)
		holds(err, ex)
		if got, _ := obj["model"].(string); got != ids[0] {
			violated(fmt.Sprintf("the request named %q and the response says model %s; models lists %q", otherModel, judge.Show(obj["model"]), ids[0]), ex, list)
		}
		note("model %q", ids[0])
	})
}

// otherModel is a model name the target does not bind: it must be ignored.
const otherModel = "gpt-4o"
