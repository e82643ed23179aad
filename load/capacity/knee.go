package capacity

import (
	"fmt"
	"slices"
	"time"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// KneeFactor: the knee is where the median latency first exceeds this many
// times its value at the lowest rate tried.
const KneeFactor = 1.5

// KneeRule states how the knee is found, for reports.
var KneeRule = fmt.Sprintf("the lowest rate whose median latency exceeds %g× the median at the lowest rate tried", KneeFactor)

// Knee is where latency begins to climb.
type Knee struct {
	Found bool
	// Rate is the lowest rate whose median passed the rule, Below the highest
	// rate tried under it (0: none).
	Rate, Below load.Rate
	P50         time.Duration // at Rate
	// Baseline is the median at BaselineRate, the lowest rate tried.
	Baseline     time.Duration
	BaselineRate load.Rate
	// Highest is the highest rate looked at (when no knee was found).
	Highest load.Rate
}

// FindKnee applies KneeRule to the steps with successes (interrupted ones
// left out), in rate order.
func FindKnee(steps []*Step) Knee {
	var usable []*Step
	for _, s := range steps {
		if !s.Interrupted && s.Measured.SuccessLatencies.Count > 0 {
			usable = append(usable, s)
		}
	}
	if len(usable) == 0 {
		return Knee{}
	}
	slices.SortStableFunc(usable, func(a, b *Step) int {
		switch {
		case a.Rate < b.Rate:
			return -1
		case a.Rate > b.Rate:
			return 1
		}
		return 0
	})
	base := usable[0]
	k := Knee{Baseline: base.Measured.SuccessLatencies.P50, BaselineRate: base.Rate, Highest: usable[len(usable)-1].Rate}
	limit := time.Duration(KneeFactor * float64(k.Baseline))
	for i, s := range usable[1:] {
		if p50 := s.Measured.SuccessLatencies.P50; p50 > limit {
			k.Found, k.Rate, k.P50, k.Below = true, s.Rate, p50, usable[i].Rate
			return k
		}
	}
	return k
}
