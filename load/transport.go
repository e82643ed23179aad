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
	auth   [][]string // each key's Authorization header value
	bodies [][]byte
}

var userAgent = []string{target.UserAgent}

func newCallTransport(next http.RoundTripper, p *Plan) *callTransport {
	t := &callTransport{next: next, plan: p, bodies: p.Bodies}
	for _, k := range p.Keys {
		t.auth = append(t.auth, []string{"Bearer " + k})
	}
	return t
}

// RoundTrip sets the call's key and body on the request itself: vegeta
// builds a fresh request for every hit and never reuses it, so the copy the
// RoundTripper contract asks for would only cost an allocation per call.
func (t *callTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	seq, _ := strconv.ParseUint(r.Header.Get("X-Vegeta-Seq"), 10, 64)
	key, body := t.plan.Call(seq)
	r.Header["Authorization"] = t.auth[key]
	r.Header["User-Agent"] = userAgent
	// With one body, the targeter's is the call's already.
	if body >= 0 && r.Body != nil && len(t.bodies) > 1 {
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
