package load

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/carpathian-ai/carpathian-conform/internal/target"
)

// callTransport gives each call its key and body from vegeta's sequence
// number (the X-Vegeta-Seq header): Plan.Call(seq) decides both, so every
// result can be traced to the key and body it used, exactly and without
// shared state between vegeta's workers.
type callTransport struct {
	next   http.RoundTripper
	plan   *Plan
	auth   []string
	bodies [][]byte
}

func newCallTransport(next http.RoundTripper, p *Plan) *callTransport {
	t := &callTransport{next: next, plan: p, bodies: p.Bodies}
	for _, k := range p.Keys {
		t.auth = append(t.auth, "Bearer "+k)
	}
	return t
}

func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	seq, _ := strconv.ParseUint(req.Header.Get("X-Vegeta-Seq"), 10, 64)
	key, body := t.plan.Call(seq)
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.auth[key])
	r.Header.Set("User-Agent", target.UserAgent)
	if body >= 0 && req.Body != nil {
		b := t.bodies[body]
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return t.next.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// wrapped transport.
func (t *callTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
