package load

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

func TestParseTokenDist(t *testing.T) {
	for in, want := range map[string]TokenDist{
		"512":             {"fixed", 512, 0},
		"0":               {"fixed", 0, 0},
		"normal:512,64":   {"normal", 512, 64},
		"uniform:100, 50": {"uniform", 100, 50},
		"fixed:8":         {"fixed", 8, 0},
	} {
		got, err := ParseTokenDist(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
		if back, _ := ParseTokenDist(got.String()); back != got {
			t.Errorf("%q does not survive String: %q", in, got.String())
		}
	}
	for _, bad := range []string{"", "-1", "normal:512", "gamma:5,1", "uniform:x,1", "fixed:5,1", "normal:0,3", "normal:5,-1"} {
		if _, err := ParseTokenDist(bad); err == nil || !strings.Contains(err.Error(), "write 512") {
			t.Errorf("%q: %v, want an error that shows the syntax", bad, err)
		}
	}
}

// Draws follow the distribution: mean and spread within a few percent over
// 20,000 seeded draws, never below 1, never past Max.
func TestTokenDistDraws(t *testing.T) {
	for _, d := range []TokenDist{{"normal", 512, 64}, {"uniform", 300, 100}, {"normal", 3, 10}} {
		rng := rand.New(rand.NewPCG(1, 2))
		var sum, sq float64
		const n = 20000
		lo, hi := math.MaxInt, 0
		for range n {
			v := d.Draw(rng)
			lo, hi = min(lo, v), max(hi, v)
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		mean := sum / n
		sd := math.Sqrt(sq/n - mean*mean)
		if lo < 1 || hi > d.Max() {
			t.Errorf("%s: draws %d..%d outside 1..%d", d, lo, hi, d.Max())
		}
		if d.Mean < 4*d.Spread {
			continue // cut at 1: the mean shifts, by design
		}
		wantSD := float64(d.Spread)
		if d.Kind == "uniform" {
			wantSD = float64(d.Spread) / math.Sqrt(3)
		}
		if math.Abs(mean-float64(d.Mean)) > 0.01*float64(d.Mean) || math.Abs(sd-wantSD) > 0.03*wantSD {
			t.Errorf("%s: mean %.1f sd %.1f, want %d and %.1f", d, mean, sd, d.Mean, wantSD)
		}
	}
}

// Each body's prompt holds exactly the drawn number of words (the reference
// server counts words as tokens), asks for the drawn max_tokens, and the
// same seed gives the same bodies.
func TestSyntheticBodies(t *testing.T) {
	s := Synthetic{Prompt: TokenDist{"normal", 200, 40}, MaxTokens: TokenDist{"uniform", 64, 32}, Count: 300, Seed: 7}
	bodies, req := s.Bodies()
	if len(bodies) != 300 || len(req) != 300 {
		t.Fatalf("%d bodies, %d requested", len(bodies), len(req))
	}
	again, _ := s.Bodies()
	distinct := map[string]bool{}
	for i, b := range bodies {
		var r target.ChatRequest
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if got := len(strings.Fields(r.Messages[0].Content)); got != req[i].PromptTokens || r.MaxTokens != req[i].MaxTokens {
			t.Fatalf("body %d: %d words, max_tokens %d; requested %+v", i, got, r.MaxTokens, req[i])
		}
		if string(again[i]) != string(b) {
			t.Fatal("same seed, different bodies")
		}
		distinct[r.Messages[0].Content] = true
	}
	if len(distinct) < 299 {
		t.Errorf("%d distinct prompts of 300", len(distinct))
	}
	for _, w := range SyntheticWords {
		if w != strings.ToLower(w) || strings.ContainsAny(w, ".,'") {
			t.Errorf("word %q is not a plain lowercase word", w)
		}
	}
}

// Against the reference server, which counts words as tokens, the served
// prompt lengths are the requested ones, call for call, and completions stay
// within the requested max_tokens.
func TestRunSyntheticRequestedVsServed(t *testing.T) {
	srv := startServer(t)
	bodies, req := Synthetic{Prompt: TokenDist{"normal", 40, 10}, MaxTokens: TokenDist{"uniform", 20, 10}, Count: 50, Seed: 3}.Bodies()
	plan := Plan{Root: srv.Root(), Path: "chat", Keys: []string{srv.Keys().Valid}, Bodies: bodies, Requested: req,
		Profile: must(Constant(200, 500*time.Millisecond))}
	res, err := Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	tk := res.Summary.Tokens
	if res.Summary.Successes == 0 || tk.RequestedPromptPerCall.Count != res.Summary.Successes {
		t.Fatalf("%d successes, %d with a requested length", res.Summary.Successes, tk.RequestedPromptPerCall.Count)
	}
	if tk.PromptPerCall.Sum != tk.RequestedPromptPerCall.Sum || tk.PromptPerCall.Max != tk.RequestedPromptPerCall.Max {
		t.Errorf("served prompts %+v, requested %+v", tk.PromptPerCall, tk.RequestedPromptPerCall)
	}
	if tk.CompletionPerCall.Max > tk.RequestedMaxPerCall.Max || tk.CompletionPerCall.Sum > tk.RequestedMaxPerCall.Sum {
		t.Errorf("completions %+v past the requested max_tokens %+v", tk.CompletionPerCall, tk.RequestedMaxPerCall)
	}
}

// Given prompts are used in turn, with drawn max_tokens; with a fixed
// max_tokens, each prompt once.
func TestSyntheticGivenPrompts(t *testing.T) {
	prompts := [][]target.Message{Prompt("a"), Prompt("b")}
	bodies, req := Synthetic{Prompts: prompts, MaxTokens: TokenDist{"uniform", 50, 40}, Count: 10, Seed: 1}.Bodies()
	if len(bodies) != 10 || req[0].PromptTokens != 0 || req[0].MaxTokens < 10 || req[0].MaxTokens > 90 {
		t.Fatalf("%d bodies, %+v", len(bodies), req)
	}
	var r target.ChatRequest
	if err := json.Unmarshal(bodies[3], &r); err != nil || r.Messages[0].Content != "b" || r.MaxTokens != req[3].MaxTokens {
		t.Errorf("body 3: %s", bodies[3])
	}
	if bodies, _ := (Synthetic{Prompts: prompts, MaxTokens: TokenDist{Mean: 16}}).Bodies(); len(bodies) != 2 {
		t.Errorf("fixed max_tokens: %d bodies, want one per prompt", len(bodies))
	}
}
