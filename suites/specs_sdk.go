package suites

import (
	"context"
	"errors"
	"fmt"
	"github.com/carpathian-ai/carpathian-conform/internal/judge"

	. "github.com/onsi/ginkgo/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// sdkClient is the official OpenAI Go SDK configured as a user would (a base
// URL and a key), except that it must not retry by itself (the pacer owns
// 429s, and a retried 5xx would hide one) and that its HTTP client is ours, so
// the redirect rule, the timeout and the pacing hold.
func sdkClient(base, key string) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(base),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithHTTPClient(rt.client.HTTP()),
	)
}

// sdkChat makes one chat call through the SDK, recording the exchange.
func sdkChat(ctx context.Context, base, key string) (*openai.ChatCompletion, []*target.Exchange, error) {
	GinkgoHelper()
	reachable(ctx)
	ctx, rec := withRecorder(ctx)
	client := sdkClient(base, key)
	params := openai.ChatCompletionNewParams{
		Model:    "default",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}
	if rt.capTokens {
		params.MaxTokens = openai.Int(smallMaxTokens)
	}
	resp, err := client.Chat.Completions.New(ctx, params)
	return resp, rec.Exchanges(), err
}

// SDK: real clients.
func sdkSpecs() {
	var shapes []TableEntry
	for _, shape := range target.BaseShapes {
		shapes = append(shapes, Entry(fmt.Sprintf("base {root}%s", shape), shape))
	}
	table("completes a chat call", Clause("SDK-1", CostLow, 1),
		func(ctx SpecContext, shape target.BaseShape) {
			resp, exs, err := sdkChat(ctx, rt.cfg.Root.Base(shape), rt.cfg.Keys.API)
			var apiErr *openai.Error
			switch {
			case errors.As(err, &apiErr):
				violated(fmt.Sprintf("the SDK got an API error: status %d", apiErr.StatusCode), exs...)
			case err != nil && len(exs) == 0:
				errored(err)
			case err != nil:
				violated("the SDK could not read the answer: "+oneLine(err.Error()), exs...)
			case len(resp.Choices) == 0:
				violated("the SDK read no choices", exs...)
			case !resp.Usage.JSON.TotalTokens.Valid():
				violated("the SDK read no usage.total_tokens", exs...)
			}
			note("%d tokens through the SDK", resp.Usage.TotalTokens)
		}, shapes...)

	It("surfaces a refusal as a typed API error with its status", Clause("SDK-2", CostNone, 1), func(ctx SpecContext) {
		_, exs, err := sdkChat(ctx, rt.cfg.Root.Base(target.ShapeV1), rt.unknown)
		if len(exs) == 0 {
			errored(fmt.Errorf("no HTTP answer: %w", err))
		}
		wire := exs[len(exs)-1]
		var apiErr *openai.Error
		switch {
		case err == nil && judge.CheckServed(wire) == nil:
			Skip("cannot tell: the target served an unknown key (see AUTH-2)")
		case err == nil:
			violated(fmt.Sprintf("a refusal (status %d) came back as a success through the SDK", wire.Status), exs...)
		case !errors.As(err, &apiErr):
			violated("the SDK's error is not an *openai.Error: "+oneLine(err.Error()), exs...)
		case apiErr.StatusCode != wire.Status:
			violated(fmt.Sprintf("the SDK's error carries status %d, the answer was %d", apiErr.StatusCode, wire.Status), exs...)
		}
		note("an unknown key: *openai.Error with status %d", wire.Status)
	})
}
