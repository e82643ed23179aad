package cmd

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
	"github.com/carpathian-ai/carpathian-conform/reports"
)

// serveShutdownGrace is how long serve waits for calls in flight after Ctrl-C.
const serveShutdownGrace = 5 * time.Second

// serveCommand runs the reference server until Ctrl-C.
func serveCommand(env Env) command {
	f := &serveFlags{}
	return command{name: "serve", summary: "run the reference Carpathian server, a local stand-in for the API",
		help:   "carpathian-conform serve: run the reference Carpathian AI API server (a local stand-in that keeps the whole contract)",
		define: f.define, run: func(*FlagSet, []string) error { return f.run(env) }}
}

// serveFlags are the serve command's flags.
type serveFlags struct {
	addr, prefix, model       string
	limit                     target.Limit
	algorithm                 fixtures.Algorithm
	countModels, countRefused bool
	budget                    int64
	latency                   fixtures.Latency
	concurrency               int
	deviations, quirks        StringList
	list                      bool
}

func (f *serveFlags) define(fs *FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on, `HOST:PORT`")
	fs.StringVar(&f.prefix, "prefix", "", "`PATH` prefix before /ai, e.g. /gw for /gw/ai/v1")
	fs.StringVar(&f.model, "model", fixtures.DefaultModel, "model `ID` bound to the valid keys")
	f.limit = target.DefaultLimit
	fs.Var(&f.limit, "rate-limit", "each key's rate limit `N/WINDOW`, e.g. 60/1m or 5/10s")
	f.algorithm = fixtures.FixedWindow
	fs.Var(&algorithmFlag{&f.algorithm}, "algorithm", "the rate limiter's `ALGORITHM`: fixed-window, sliding-window or token-bucket")
	fs.BoolVar(&f.countModels, "count-models", false, "models calls count against the rate limit")
	fs.BoolVar(&f.countRefused, "count-refused", false, "calls refused with 429 count against the rate limit")
	fs.Int64Var(&f.budget, "token-budget", 0, "tokens each valid key may spend before chat answers 402 (0: unlimited)")
	fs.Var(&latencyFlag{&f.latency.Base}, "latency-base", "`DURATION` every served call takes, e.g. 100ms")
	fs.Var(&latencyFlag{&f.latency.PerToken}, "latency-per-token", "`DURATION` added per completion token, e.g. 20ms")
	fs.Var(&latencyFlag{&f.latency.Jitter}, "latency-jitter", "up to this `DURATION` of random time added per call, e.g. 50ms")
	fs.IntVar(&f.concurrency, "concurrency", 0, "calls in service at once; beyond it they queue (0: no cap)")
	fs.Var(&f.deviations, "deviation", "break the contract the `NAME`d way (repeatable; see --list-deviations)")
	fs.Var(&f.quirks, "quirk", "a conformant variation by `NAME` (repeatable; see --list-deviations)")
	fs.BoolVar(&f.list, "list-deviations", false, "list the deviations and quirks, then exit")
}

// run serves until the context ends.
func (f *serveFlags) run(env Env) error {
	if f.list {
		return listDeviations(env)
	}
	for _, names := range []struct {
		kind string
		list []string
		ok   func(string) bool
	}{
		{"deviation", f.deviations, func(n string) bool { _, ok := fixtures.LookupDeviation(n); return ok }},
		{"quirk", f.quirks, func(n string) bool { _, ok := fixtures.LookupQuirk(n); return ok }},
	} {
		for _, n := range names.list {
			if !names.ok(n) {
				return Usagef("serve: unknown %s %q: see serve --list-deviations for the names", names.kind, n)
			}
		}
	}
	srv, err := fixtures.Start(
		fixtures.WithAddr(f.addr),
		fixtures.WithPrefix(f.prefix),
		fixtures.WithModel(f.model),
		fixtures.WithRateLimit(f.limit),
		fixtures.WithAlgorithm(f.algorithm),
		fixtures.WithCountModels(f.countModels),
		fixtures.WithCountRefused(f.countRefused),
		fixtures.WithTokenBudget(f.budget),
		fixtures.WithLatency(f.latency),
		fixtures.WithConcurrency(f.concurrency),
		fixtures.WithDeviations(f.deviations...),
		fixtures.WithQuirks(f.quirks...),
	)
	if err != nil {
		return Usagef("serve: %v", err)
	}
	printServing(env, srv)
	<-env.Ctx.Done()
	fmt.Fprintln(env.Stdout, "serve: stopping")
	ctx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// printServing shows the base URL, the fixture keys in full (the one place a
// key is ever printed whole: they are the server's own test keys) and the settings.
func printServing(env Env, srv *fixtures.Server) {
	fmt.Fprintf(env.Stdout, "Carpathian reference server at %s (root %s)\n\n", srv.BaseURL(), srv.Root())
	var keys [][]string
	for _, k := range srv.Keys().Roles() {
		keys = append(keys, []string{k.Name, k.Value})
	}
	_ = reports.Table(env.Stdout, "Fixture keys (test keys of this server only):", []string{"role", "key"}, keys, nil)
	var settings [][]string
	for _, s := range srv.Settings() {
		settings = append(settings, []string{s.Name, s.Value})
	}
	fmt.Fprintln(env.Stdout)
	_ = reports.Table(env.Stdout, "Settings:", []string{"setting", "value"}, settings, nil)
	k, limit := srv.Keys(), ""
	if srv.Limit().N > 0 {
		limit = " --rate-limit " + srv.Limit().String()
	}
	fmt.Fprintf(env.Stdout, "\nCheck it (every clause, all key roles):\n  carpathian-conform --base-url %s%s \\\n"+
		"    --api-key %s \\\n    --revoked-key %s \\\n    --exhausted-key %s \\\n"+
		"    --forbidden-key %s \\\n    --locked-key %s\nCtrl-C stops it.\n",
		srv.BaseURL(), limit, k.Valid, k.Revoked, k.Exhausted, k.Forbidden, k.Locked)
}

func listDeviations(env Env) error {
	var rows [][]string
	for _, d := range fixtures.Deviations {
		rows = append(rows, []string{d.Name, d.Clause, d.Summary})
	}
	if err := reports.Table(env.Stdout, "Deviations (--deviation NAME breaks the clause):", []string{"name", "clause", "what changes"}, rows, nil); err != nil {
		return err
	}
	rows = nil
	for _, q := range fixtures.Quirks {
		rows = append(rows, []string{q.Name, q.Summary})
	}
	fmt.Fprintln(env.Stdout)
	return reports.Table(env.Stdout, "Quirks (--quirk NAME, conformant variations):", []string{"name", "what changes"}, rows, nil)
}

// algorithmFlag makes fixtures.Algorithm a flag.Value.
type algorithmFlag struct{ p *fixtures.Algorithm }

func (a *algorithmFlag) String() string {
	if a.p == nil {
		return ""
	}
	return string(*a.p)
}

func (a *algorithmFlag) Set(s string) error {
	v, err := fixtures.ParseAlgorithm(s)
	if err != nil {
		return err
	}
	*a.p = v
	return nil
}

// latencyFlag is a duration of zero or more.
type latencyFlag struct{ p *time.Duration }

func (l *latencyFlag) String() string {
	if l.p == nil || *l.p == 0 {
		return ""
	}
	return l.p.String()
}

func (l *latencyFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration like 100ms, 2s or 0", s)
	}
	*l.p = v
	return nil
}

var (
	_ flag.Value = (*algorithmFlag)(nil)
	_ flag.Value = (*latencyFlag)(nil)
)
