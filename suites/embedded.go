package suites

import (
	"time"

	"github.com/carpathian-ai/carpathian-conform/fixtures"
	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// EmbeddedLimit is the embedded server's limit unless one is given: a short
// window, so that a run against it (make run) takes seconds.
var EmbeddedLimit = target.Limit{N: 20, Window: 2 * time.Second}

// StartEmbedded starts the reference server in-process and points cfg at it,
// with all its fixture keys. limit is its rate limit (zero: EmbeddedLimit).
// The caller stops it with the returned function.
func StartEmbedded(cfg *Config, limit target.Limit) (stop func() error, err error) {
	if limit.N == 0 {
		limit = EmbeddedLimit
	}
	srv, err := fixtures.Start(fixtures.WithRateLimit(limit))
	if err != nil {
		return nil, err
	}
	k := srv.Keys()
	cfg.Root = srv.Root()
	cfg.Keys = Keys{API: k.Valid, Revoked: k.Revoked, Exhausted: k.Exhausted, Forbidden: k.Forbidden, Locked: k.Locked}
	cfg.Limit = limit
	cfg.Embedded = true
	cfg.Model = srv.Model()
	return srv.Close, nil
}
