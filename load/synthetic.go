package load

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// TokenDist is a distribution of token lengths, as planners state traffic
// (genai-perf, GuideLLM): "512" (fixed), "normal:512,64" (mean, standard
// deviation) or "uniform:512,256" (mean, half-width: 256..768). Draws are
// rounded and never below 1.
type TokenDist struct {
	Kind   string // "fixed", "normal" or "uniform"
	Mean   int
	Spread int // the standard deviation (normal) or the half-width (uniform)
}

// ParseTokenDist reads "MEAN", "fixed:MEAN", "normal:MEAN,STDDEV" or
// "uniform:MEAN,HALFWIDTH".
func ParseTokenDist(s string) (TokenDist, error) {
	bad := func(why string) (TokenDist, error) {
		return TokenDist{}, fmt.Errorf("token length %q: %s; write 512, normal:512,64 or uniform:512,256", s, why)
	}
	kind, rest, hasKind := strings.Cut(strings.TrimSpace(s), ":")
	if !hasKind {
		kind, rest = "fixed", kind
	}
	meanText, spreadText, hasSpread := strings.Cut(rest, ",")
	mean, err := strconv.Atoi(strings.TrimSpace(meanText))
	if err != nil || mean < 0 {
		return bad("the mean must be a whole number of 0 or more")
	}
	d := TokenDist{Kind: strings.ToLower(strings.TrimSpace(kind)), Mean: mean}
	switch d.Kind {
	case "fixed":
		if hasSpread {
			return bad("a fixed length has no spread")
		}
		return d, nil
	case "normal", "uniform":
		if !hasSpread {
			return bad(d.Kind + " needs a spread after the mean")
		}
		if d.Spread, err = strconv.Atoi(strings.TrimSpace(spreadText)); err != nil || d.Spread < 0 {
			return bad("the spread must be a whole number of 0 or more")
		}
		if mean < 1 {
			return bad("the mean of a distribution must be 1 or more")
		}
		return d, nil
	}
	return bad("unknown distribution " + strconv.Quote(kind))
}

func (d TokenDist) String() string {
	if d.Kind == "" || d.Kind == "fixed" {
		return strconv.Itoa(d.Mean)
	}
	return fmt.Sprintf("%s:%d,%d", d.Kind, d.Mean, d.Spread)
}

// Set implements flag.Value.
func (d *TokenDist) Set(s string) error {
	v, err := ParseTokenDist(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// IsFixed tells whether every draw is Mean.
func (d TokenDist) IsFixed() bool { return d.Kind == "" || d.Kind == "fixed" || d.Spread == 0 }

// Max is the largest length a draw can take (normal: mean + 4 standard
// deviations, where draws are cut), for cost estimates.
func (d TokenDist) Max() int {
	switch {
	case d.IsFixed():
		return d.Mean
	case d.Kind == "normal":
		return d.Mean + 4*d.Spread
	}
	return d.Mean + d.Spread
}

// Draw is one length: fixed returns Mean (0 included); others at least 1.
func (d TokenDist) Draw(rng *rand.Rand) int {
	if d.IsFixed() {
		return d.Mean
	}
	var v float64
	switch d.Kind {
	case "normal":
		// Cut at 4 standard deviations, so Max bounds the cost.
		v = float64(d.Mean) + math.Max(-4, math.Min(4, rng.NormFloat64()))*float64(d.Spread)
	default:
		v = float64(d.Mean-d.Spread) + rng.Float64()*float64(2*d.Spread)
	}
	return max(1, int(math.Round(v)))
}

// Requested is what one body asks for: its prompt's length in tokens (0:
// not known, a prompt from a file) and its max_tokens (0: none).
type Requested struct {
	PromptTokens, MaxTokens int
}

// Synthetic builds chat bodies whose prompts are exactly a drawn number of
// words from SyntheticWords, each a single token in the common BPE
// tokenizers (cl100k, o200k, Llama's), so the backend sees as many prompt
// tokens as drawn, plus its chat template; and whose max_tokens are drawn
// too. The same seed gives the same bodies.
type Synthetic struct {
	Prompt, MaxTokens TokenDist
	// Prompts, when set, are used in turn instead of drawn word prompts
	// (Prompt is then ignored, and prompt lengths are not known): a prompts
	// file with drawn max_tokens.
	Prompts [][]target.Message
	// Count is how many distinct bodies to draw (default
	// DefaultSyntheticBodies); calls sample them (Plan.Call).
	Count int
	Seed  uint64
}

// DefaultSyntheticBodies is how many distinct bodies a synthetic plan draws:
// enough that the lengths calls send follow the distribution closely.
const DefaultSyntheticBodies = 1000

// Bodies draws the bodies and what each requests.
func (s Synthetic) Bodies() ([][]byte, []Requested) {
	n := s.Count
	if n <= 0 {
		n = DefaultSyntheticBodies
	}
	switch {
	case s.Prompts != nil && s.MaxTokens.IsFixed():
		n = len(s.Prompts) // nothing drawn: each prompt once
	case s.Prompts != nil:
		n = max(n, len(s.Prompts))
	case s.Prompt.IsFixed() && s.MaxTokens.IsFixed():
		n = min(n, 64) // every length equal: a few prompts only vary the words
	}
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x5851f42d4c957f2d))
	bodies := make([][]byte, n)
	req := make([]Requested, n)
	var sb strings.Builder
	for i := range bodies {
		if s.Prompts != nil {
			req[i] = Requested{MaxTokens: s.MaxTokens.Draw(rng)}
			bodies[i] = target.JSON(target.ChatRequest{Model: "default", Messages: s.Prompts[i%len(s.Prompts)], MaxTokens: req[i].MaxTokens})
			continue
		}
		req[i] = Requested{PromptTokens: max(1, s.Prompt.Draw(rng)), MaxTokens: s.MaxTokens.Draw(rng)}
		sb.Reset()
		for w := 0; w < req[i].PromptTokens; w++ {
			if w > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(SyntheticWords[rng.IntN(len(SyntheticWords))])
		}
		bodies[i] = target.JSON(target.ChatRequest{Model: "default", Messages: Prompt(sb.String()), MaxTokens: req[i].MaxTokens})
	}
	return bodies, req
}

// SyntheticWords are common lowercase English words that each encode as one
// token (with the space before them) in the common BPE tokenizers.
var SyntheticWords = strings.Fields(`
the of and to in is was for on that with as by at from his her he she it they
we you are be this which or had not but have one all were their there been has
when who will more no if out so said what up its about into than them can only
other new some time could these two may then do first any my now such like our
over man me even most made after also did many before must through back years
where much your way well down should because each just those people how too
little state good very make world still own see men work long get here between
both life being under never day same another know while last might us great old
year off come since against go came right used take three states himself few
house use during without again place around however home small found thought
went say part once general high upon school every does got united left number
course war until always away something fact though water less public put think
almost hand enough far took head yet government system better set told nothing
night end why called find look going asked later knew point next city give
group business young let room president side social present given several order
national second possible rather per face among form important often things early
music white case john become large big need four within felt along children saw
best church ever least power development light thing seemed family interest want
members mind country area others done turned although open god service problem
`)
