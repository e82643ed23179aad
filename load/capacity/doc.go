// Package capacity finds the highest request rate a target sustains within
// an SLO: it offers a constant rate for a step, judges the step's figures
// after a warm-up against the SLO, doubles the rate until a step misses,
// then bisects between the last rate that met and the first that missed
// until they are within a stated precision.
//
//	slo, _ := capacity.ParseSLO("p95<3s,success>=99%")    // load's threshold grammar
//	cfg := capacity.Config{Start: 1, Max: 100, Precision: 0.05,
//		StepDuration: 10 * time.Second, Warmup: 2 * time.Second, SLO: slo}
//	runner := &capacity.Runner{Plan: plan, Duration: cfg.StepDuration, Warmup: cfg.Warmup}
//	defer runner.Close()
//	res, err := capacity.Search(ctx, cfg, runner.Step, capacity.WithStepDone(print))
//	res.Best // the step that proved the answer; nil when even the lowest rate missed
//
// A step meets the SLO when every threshold holds on the calls sent after
// the warm-up, 429s left out (they are counted apart), and the target kept
// up: the successful answers, once the first answers came back, fall short
// of the calls offered beyond the 429s by no more than ServedRule allows. A
// queueing target above its capacity answers at its capacity whatever is
// offered, and its latency climbs through the step; either failure stops the
// climb. A step whose calls were more than MaxRateLimitedShare 429s cannot
// prove anything about capacity: it is flagged, and the keys' limits must
// exceed the rates tried (or more keys must spread the calls). A step that
// sent no call after its warm-up is not judged, and stops the search;
// Config.Validate refuses steps that would send fewer than MinMeasuredCalls.
//
// Search is a pure loop over a StepFunc, so its doubling and bisection are
// tested with a model of a target; Runner is the StepFunc that sends with
// load.Run. WorstCase states the whole search's cost before it starts by
// following the search down every possible sequence of outcomes.
package capacity
