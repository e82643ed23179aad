package suites

import (
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"net/http"

	. "github.com/onsi/ginkgo/v2"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// MODELS: the models endpoint. Each spec reads the list from the route that
// routes (ROUTE-4 judges {root}/v1/models itself).
func modelsSpecs() {
	It("is an OpenAI list holding exactly the model behind the key", Clause("MODELS-1", CostNone, 1), func(ctx SpecContext) {
		ex := send(ctx, target.Request{Path: modelsPath(ctx)})
		entry, err := judge.CheckModelsList(ex)
		holds(err, ex)
		note("bound model %s", judge.Show(entry["id"]))
	})

	It("lists an entry with a non-empty id and object \"model\"", Clause("MODELS-2", CostNone, 1), func(ctx SpecContext) {
		ex := send(ctx, target.Request{Path: modelsPath(ctx)})
		holds(judge.CheckModelEntry(firstModelEntry(ex)), ex)
	})

	It("lists an entry with an judge.Integer created and a string owned_by", Clause("MODELS-3", CostNone, 1), func(ctx SpecContext) {
		ex := send(ctx, target.Request{Path: modelsPath(ctx)})
		holds(judge.CheckModelFields(firstModelEntry(ex)), ex)
	})

	It("costs no tokens: an out-of-tokens key still lists its model", Clause("MODELS-4", CostNone, 1), func(ctx SpecContext) {
		key := needKey(rt.cfg.Keys.Exhausted, "--exhausted-key")
		ex := send(ctx, target.Request{Path: modelsPath(ctx), Key: key})
		holds(judge.CheckStatus(ex, http.StatusOK), ex)
	})
}

// firstModelEntry is data[0] of a models answer, however many entries it
// has (that count is MODELS-1's).
func firstModelEntry(ex *target.Exchange) judge.Object {
	GinkgoHelper()
	holds(judge.CheckStatus(ex, http.StatusOK), ex)
	obj, err := judge.DecodeObject(ex.Body)
	holds(err, ex)
	data, _ := obj["data"].([]any)
	if len(data) == 0 {
		violated(fmt.Sprintf("data is %s, want an array holding the model", judge.Kind(obj["data"])), ex)
	}
	entry, ok := data[0].(map[string]any)
	if !ok {
		violated(fmt.Sprintf("data[0] is %s, want an object", judge.Kind(data[0])), ex)
	}
	return entry
}
