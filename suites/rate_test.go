package suites

import (
	"net/http"
	"testing"
	"time"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

func TestMaxServed(t *testing.T) {
	l := target.Limit{N: 10, Window: 10 * time.Second}
	cases := map[time.Duration]int{0: 11, 5 * time.Millisecond: 12, time.Second: 12, 2 * time.Second: 13}
	for span, want := range cases {
		if got := MaxServed(l, span); got != want {
			t.Errorf("MaxServed(%v) = %d, want %d", span, got, want)
		}
	}
	// A limit twice too high serves 2N from a quick burst: more than allowed.
	if MaxServed(l, 50*time.Millisecond) >= 2*l.N {
		t.Error("a doubled limit would pass")
	}
	if BurstSlack(5) != 0 || BurstSlack(60) != 6 {
		t.Error("BurstSlack")
	}
}

func TestRetryWait(t *testing.T) {
	now := time.Unix(1e9, 0)
	w := 2 * time.Second
	refusal := func(ra string) *target.Exchange {
		h := http.Header{}
		if ra != "" {
			h.Set("Retry-After", ra)
		}
		return &target.Exchange{Status: 429, Header: h}
	}
	if got := RetryWait(nil, w, now); got != w {
		t.Errorf("no refusal: %v", got)
	}
	if got := RetryWait([]*target.Exchange{refusal("")}, w, now); got != w {
		t.Errorf("no Retry-After: %v, want the window", got)
	}
	if got := RetryWait([]*target.Exchange{refusal("1"), refusal("3")}, w, now); got != 3*time.Second {
		t.Errorf("the longest Retry-After: %v", got)
	}
	if got := RetryWait([]*target.Exchange{refusal("3600")}, w, now); got != 2*w {
		t.Errorf("capped: %v", got)
	}
	date := now.Add(1500 * time.Millisecond).UTC().Format(http.TimeFormat)
	if got := RetryWait([]*target.Exchange{refusal(date)}, w, now); got <= 0 || got > 2*time.Second {
		t.Errorf("date: %v", got)
	}
}

func TestClauseLabels(t *testing.T) {
	l := parseLabels(Clause("ROUTE-2", CostLow, 3))
	if l.Clause != "ROUTE-2" || l.Level != "must" || l.Area != "route" || l.Cost != CostLow || l.Calls != 3 {
		t.Errorf("labels = %+v", l)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown clause was accepted")
		}
	}()
	Clause("NOPE-1", CostNone, 1)
}
