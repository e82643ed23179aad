package suites

import (
	"context"
	"sync"
)

// prefetchWorkers is how many probes are in flight at once before the specs
// run. The pacer still keeps every call under the limit; the workers only
// keep a slow target (a second or more per reply) from making the run as long
// as the sum of its answer times.
const prefetchWorkers = 4

// prefetch sends every probe the selected specs judge, a few at a time, so
// that the specs then judge replies already received. A probe that got no
// answer is left for its spec to send again and report.
func (r *runtime) prefetch(ctx context.Context, plan *Plan) {
	var todo []Probe
	seen := map[Probe]bool{}
	for _, s := range plan.Specs {
		for _, p := range s.probes {
			if s.Selected && !seen[p] && p.Key.missing(r.cfg.Keys) == "" {
				seen[p] = true
				todo = append(todo, p)
			}
		}
	}
	r.status.begin("sending the probes")
	work := make(chan Probe)
	var wg sync.WaitGroup
	for range min(prefetchWorkers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				if got, err := r.send(ctx, p); err == nil {
					r.mu.Lock()
					r.replies[p] = got
					r.mu.Unlock()
				}
			}
		}()
	}
	for _, p := range todo {
		if ctx.Err() != nil {
			break
		}
		work <- p
	}
	close(work)
	wg.Wait()
}
