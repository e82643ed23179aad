package suites

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/carpathian-ai/carpathian-conform/internal/judge"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// sdkOutcome is what the official OpenAI Go SDK made of a call.
type sdkOutcome struct {
	Resp *openai.ChatCompletion
	Err  error
}

// sdkCall makes a probe's chat call through the official OpenAI Go SDK,
// configured as a user would (a base URL and a key, model "default"), except
// that it must not retry by itself (the pacer owns 429s, and a retried 5xx
// would hide one) and that its HTTP client is ours, so the redirect rule, the
// timeout and the pacing hold. The exchanges are recorded for the verdict.
func (r *runtime) sdkCall(ctx context.Context, p Probe) (*Reply, error) {
	ctx, rec := withRecorder(ctx)
	_, key := p.Key.credentials(r.cfg.Keys)
	client := openai.NewClient(
		option.WithBaseURL(r.cfg.Root.URL(strings.TrimSuffix(p.Path, target.PathAliasChatComp))),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithHTTPClient(r.client.HTTP()),
	)
	resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "default",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	})
	exs := rec.Exchanges()
	if len(exs) == 0 {
		if err == nil {
			err = errors.New("the SDK made no HTTP call")
		}
		return nil, err // no HTTP answer: the spec errors
	}
	return &Reply{Ex: exs[len(exs)-1], SDKExs: exs, SDK: &sdkOutcome{Resp: resp, Err: err}}, nil
}

// sdkCompleted is SDK-1: the SDK completed the call and read the content and
// usage, and the answer on the wire is a chat completion.
func sdkCompleted(got *Reply) (string, error) {
	o := got.SDK
	var apiErr *openai.Error
	switch {
	case errors.As(o.Err, &apiErr):
		return "", fmt.Errorf("the SDK got an API error: status %d", apiErr.StatusCode)
	case o.Err != nil:
		return "", errors.New("the SDK could not read the answer: " + oneLine(o.Err.Error()))
	case len(o.Resp.Choices) == 0:
		return "", errors.New("the SDK read no choices")
	case !o.Resp.Usage.JSON.TotalTokens.Valid():
		return "", errors.New("the SDK read no usage.total_tokens")
	}
	if err := judge.CheckServed(got.Ex); err != nil {
		return "", fmt.Errorf("the SDK read it, but the answer is no chat completion: %v", err)
	}
	return fmt.Sprintf("%d tokens through the SDK", o.Resp.Usage.TotalTokens), nil
}

// sdkTypedError is SDK-2: a refusal surfaces as *openai.Error with the
// status of the answer.
func sdkTypedError(got *Reply) (string, error) {
	o, wire := got.SDK, got.Ex
	var apiErr *openai.Error
	switch {
	case o.Err == nil && judge.CheckServed(wire) == nil:
		return "", fmt.Errorf("%w: the target served an unknown key (see AUTH-2)", judge.ErrCannotTell)
	case o.Err == nil:
		return "", fmt.Errorf("a refusal (status %d) came back as a success through the SDK", wire.Status)
	case !errors.As(o.Err, &apiErr):
		return "", errors.New("the SDK's error is not an *openai.Error: " + oneLine(o.Err.Error()))
	case apiErr.StatusCode != wire.Status:
		return "", fmt.Errorf("the SDK's error carries status %d, the answer was %d", apiErr.StatusCode, wire.Status)
	}
	return fmt.Sprintf("an unknown key: *openai.Error with status %d", wire.Status), nil
}
