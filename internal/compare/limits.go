package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Limit is how much worse one load figure may get: "p99=+10%" (relative),
// "success=-0.5pp" (percentage points), "p95=+200ms" (a duration),
// "rate=-0.5/s" (per second). The sign says which way is worse, and must
// agree with the metric: latencies get worse up, the rest down.
type Limit struct {
	Expr   string
	Metric string
	Amount float64 // how much worse, ≥ 0, in Kind's unit
	Kind   string  // "%", "pp", "duration" (ns) or "/s"
}

// Limits are --max-regression's limits by metric.
type Limits map[string]Limit

// limitSyntax is what --max-regression errors show.
const limitSyntax = "write METRIC=±CHANGE joined by commas, like p99=+10%,success=-0.5pp,p95=+200ms,rate=-5%"

// ParseLimits reads --max-regression. An empty string sets no limit.
func ParseLimits(s string) (Limits, error) {
	limits := Limits{}
	if strings.TrimSpace(s) == "" {
		return limits, nil
	}
	for _, expr := range strings.Split(s, ",") {
		l, err := parseLimit(strings.TrimSpace(expr))
		if err != nil {
			return nil, fmt.Errorf("--max-regression %q: %v", expr, err)
		}
		if _, dup := limits[l.Metric]; dup {
			return nil, fmt.Errorf("--max-regression: %s is limited twice", l.Metric)
		}
		limits[l.Metric] = l
	}
	return limits, nil
}

func parseLimit(expr string) (Limit, error) {
	name, value, ok := strings.Cut(expr, "=")
	name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return Limit{}, fmt.Errorf("%s", limitSyntax)
	}
	var unit Unit
	var worseUp bool
	var names []string
	for _, m := range loadMetrics {
		names = append(names, m.name)
		if m.name == name {
			unit, worseUp = m.unit, m.worseUp
		}
	}
	if unit == "" {
		return Limit{}, fmt.Errorf("unknown metric %q: compare has %s", name, strings.Join(names, ", "))
	}
	sign, rest := value[:1], value[1:]
	if sign != "+" && sign != "-" {
		return Limit{}, fmt.Errorf("give the sign of a worse %s: %s=%s%s", name, name, worseSign(worseUp), value)
	}
	if (sign == "+") != worseUp {
		return Limit{}, fmt.Errorf("%s gets worse %s: write %s=%s%s", name, map[bool]string{true: "up", false: "down"}[worseUp], name, worseSign(worseUp), rest)
	}
	l := Limit{Expr: expr, Metric: name}
	var err error
	switch {
	case strings.HasSuffix(rest, "%"):
		l.Kind = "%"
		l.Amount, err = strconv.ParseFloat(strings.TrimSuffix(rest, "%"), 64)
	case strings.HasSuffix(rest, "pp"):
		if unit != UnitRatio {
			return Limit{}, fmt.Errorf("pp (percentage points) is for success; give %s a %% or %s", name, absoluteExample(unit))
		}
		l.Kind = "pp"
		l.Amount, err = strconv.ParseFloat(strings.TrimSuffix(rest, "pp"), 64)
	case unit == UnitDuration:
		var d time.Duration
		d, err = time.ParseDuration(rest)
		l.Kind, l.Amount = "duration", float64(d)
	case unit == UnitRate && strings.HasSuffix(rest, "/s"):
		l.Kind = "/s"
		l.Amount, err = strconv.ParseFloat(strings.TrimSuffix(rest, "/s"), 64)
	default:
		return Limit{}, fmt.Errorf("give %s a %% or %s", name, absoluteExample(unit))
	}
	if err != nil || l.Amount < 0 || math.IsNaN(l.Amount) || math.IsInf(l.Amount, 0) {
		return Limit{}, fmt.Errorf("%q is not an amount: %s", rest, limitSyntax)
	}
	return l, nil
}

func worseSign(up bool) string {
	if up {
		return "+"
	}
	return "-"
}

func absoluteExample(u Unit) string {
	switch u {
	case UnitDuration:
		return "a duration like +200ms"
	case UnitRatio:
		return "percentage points like -0.5pp"
	}
	return "a rate like -0.5/s"
}

// judge tells whether m got worse than the limit allows, and says how.
func (l Limit) judge(m Metric) (bool, string) {
	switch {
	case !m.HasOld:
		return false, "no figure in the older run to compare with"
	case !m.HasNew:
		return true, "no figure in the newer run (no successes?)"
	}
	worse := m.New - m.Old // in the metric's unit, positive when worse
	if m.Unit != UnitDuration {
		worse = -worse
	}
	var allowed float64
	switch l.Kind {
	case "%":
		allowed = math.Abs(m.Old) * l.Amount / 100
	case "pp":
		allowed = l.Amount / 100
	default:
		allowed = l.Amount
	}
	if worse > allowed+1e-12 {
		return true, "exceeds " + l.Expr
	}
	return false, "within " + l.Expr
}
