// Package load drives calls at a controlled rate against a Carpathian AI API
// target with vegeta's Attacker, and measures what a capacity planner and a
// nightly gate need: exact latency distributions (HDR histograms, split by
// success, 429 and failure), offered and achieved rates, missed slots, status
// codes, error classes, tokens, finish reasons and conformance of sampled
// replies.
//
// A run is a Plan and options:
//
//	profile, _ := load.Constant(5, time.Minute) // or Ramp, Steps, Closed, Poisson(p, seed)
//	plan := load.Plan{
//		Root:    root,                       // target.ParseBaseURL
//		Path:    target.PathChat,            // or a chat alias, or target.PathModels (ResolvePath)
//		Keys:    []string{key1, key2},       // call seq uses Keys[seq % len]: exactly even
//		Bodies:  load.ChatBodies([][]target.Message{load.Prompt("Say hi.")}, 16),
//		Profile: profile,
//		Timeout: time.Minute,                // per call
//		MaxCalls: 10000,                     // a hard stop (0: none)
//	}
//	res, err := load.Run(ctx, plan,
//		load.WithSinks(load.SinkFunc(func(h *load.Hit) error { ...; return nil })), // stream of results
//		load.WithAbort(abortConditions...),
//		load.WithChecker(checker, load.DefaultSampleEvery),
//		load.WithProgress(time.Second, func(p load.Progress) { ... }))
//	results, ok := load.CheckThresholds(thresholds, &res.Summary)
//
// Pacing. Every profile paces vegeta through a Pacer that never sends
// catch-up bursts: vegeta's own pacers fire every overdue slot at once after
// a stall (vegeta issue #620). A run that fell behind (a stalled machine,
// every worker busy) sends its overdue slots at CatchUp (1.08) times the rate
// until it is back on schedule, so every slot is offered and no 100 ms holds
// more than about 1.08× its share (counted when vegeta's workers take each
// send's timestamp, which a starved machine may delay); a slot more than the
// tolerance (1 s) behind is dropped and counted in Summary.Missed. An open
// loop ends when its last slot is sent; a closed loop (Closed) keeps exactly
// its InFlight calls running for its duration.
//
// Streaming. Each result goes, as it arrives and from one goroutine, into the
// metrics (fixed memory) and to every Sink; nothing is kept per call, so a
// run of 10^6 calls needs no more memory than one of 10^4. Sinks:
// BinaryOutput (vegeta's gob results format: `vegeta report` and
// `vegeta plot` read it), FileOutput (it, into a file), Timeline (bounded
// per-time-slice figures for the HTML report), SinkFunc (a caller's own
// analysis: ratelimit, capacity). A
// Hit carries vegeta's Result plus its Outcome, ErrorClass, the key and body
// indexes it used and, for chat successes, usage and finish_reason.
//
// Stopping. Cancelling ctx (Ctrl-C) or an AbortCondition stops sending at
// once; calls in flight may finish within the grace period (WithGrace),
// later ones are abandoned and counted; sinks are always closed, so every
// output is complete.
//
// vegeta v12.13 facts this package respects: one attack per Attacker (Run
// makes its own); the library's client is replaced by target.NewHTTPClient
// (no redirect to another host, so keys stay home; HTTP/2 as Go's default
// transport negotiates it; the plan's timeout, not vegeta's 30 s); bodies are
// read up to target.DefaultMaxBody, so usage at the end of the JSON is never
// cut off; the targeter never runs out (a finite one emits error results).
//
// Figures. Summary holds vegeta's report figures with the same meaning and
// units (Rate = requests/(latest-earliest), Throughput =
// successes/(duration+wait), Success a ratio) plus load's own. Percentiles
// come from HDR histograms with 3 significant digits (error ≤ 0.1%); count,
// sum, min, mean and max are exact. Thresholds ("p99<2s", "success>=99.5%",
// "rate>=4.9/s", "errors==0", "tokens_per_s>=100"; MetricNames lists every
// name) and abort conditions ("error_rate>10% for 10s") share one grammar;
// an unknown name or a malformed expression is an error, and a figure with
// no data (p99 without a single success) fails its threshold.
//
// Success. Every answer with a success status is judged: a chat reply must
// be a chat completion (judge.ReadCompletion, the one definition of a served
// call), a models reply a models list; anything else is a Failure of class
// ClassNotCompletion or ClassNotModelsList, whose reason is the result's
// Error in every output.
//
// Conformance under load. A ResponseChecker (the suites package's CHAT
// checks) sees one successful chat reply in every N, with the request that
// produced it; its violations are counted by clause in Summary.Conformance.
package load

// ReportSchema names the schema of the load JSON report (reports.LoadJSON),
// which compare reads back; bump it on any breaking change.
const ReportSchema = "carpathian-conform/load/v1"
