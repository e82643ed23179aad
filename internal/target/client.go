package target

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxBody caps what is read of any response: enough for any chat
// completion the tool asks for, small enough that a runaway target cannot
// exhaust memory.
const DefaultMaxBody = 4 << 20

// DefaultTimeout is the per-call timeout; generations can be slow.
const DefaultTimeout = 60 * time.Second

// UserAgent names the tool in every request.
var UserAgent = "carpathian-conform"

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithTimeout sets the per-call timeout (0: none).
func WithTimeout(d time.Duration) ClientOption { return func(c *Client) { c.timeout = d } }

// WithConnection sets the headers and TLS trust (a Connection) of every call.
// It replaces the transport: give it before WithTransport.
func WithConnection(conn Connection) ClientOption {
	return func(c *Client) { c.http.Transport = NewHTTPClient(0, conn).Transport }
}

// WithMaxBody sets how much of a response body is kept.
func WithMaxBody(n int64) ClientOption { return func(c *Client) { c.maxBody = n } }

// WithTransport replaces the HTTP transport (tests, vegeta's tuned one).
func WithTransport(rt http.RoundTripper) ClientOption {
	return func(c *Client) { c.http.Transport = rt }
}

// Client calls one target. It never follows a redirect to another host (the
// key would go with it), caps bodies and times out.
type Client struct {
	root    Root
	http    *http.Client
	maxBody int64
	timeout time.Duration
}

// NewClient makes a client for the target at root.
func NewClient(root Root, opts ...ClientOption) *Client {
	c := &Client{root: root, http: NewHTTPClient(0), maxBody: DefaultMaxBody, timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	c.http.Transport = withDeadline(c.http.Transport, c.timeout)
	return c
}

// NewHTTPClient is the *http.Client every part of the tool uses (the SDK and
// vegeta included), so the redirect rule holds everywhere; conn (at most
// one) adds headers and TLS trust. Its transport, not the client, bounds
// each call by timeout (withDeadline), so transports that wrap it keep
// net/http's context cancellation.
func NewHTTPClient(timeout time.Duration, conn ...Connection) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	var rt http.RoundTripper = tr
	if len(conn) > 0 {
		rt = conn[0].apply(tr)
	}
	return &http.Client{Transport: withDeadline(rt, timeout), CheckRedirect: SameHostRedirects}
}

// SameHostRedirects follows at most five redirects and none that leaves the
// original host: the response to such a redirect is returned as it is, so the
// Authorization header is never offered to another host.
func SameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return http.ErrUseLastResponse
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}

// Root is the target's root.
func (c *Client) Root() Root { return c.root }

// HTTP is the underlying client, for the SDK and vegeta.
func (c *Client) HTTP() *http.Client { return c.http }

// Request is one call. Path is relative to the root unless URL is set.
type Request struct {
	Method string
	Path   string // relative to the root, e.g. PathChat
	URL    string // absolute; overrides Path (base-shape specs)
	Key    string // sent as "Authorization: Bearer KEY" unless Auth is set
	// Auth, when non-nil, is sent verbatim as the Authorization header ("" sends none).
	Auth   *string
	Body   []byte
	Header http.Header
}

// Exchange is a request and what came back: the evidence behind a verdict.
type Exchange struct {
	Method        string
	URL           string
	RequestHeader http.Header
	RequestBody   []byte
	Status        int
	Header        http.Header
	Body          []byte
	Truncated     bool // the body was longer than the cap
	// BodyErr is set when the body came but did not decode (a
	// Content-Encoding it does not match): the target's answer, judged as
	// such; Body is what decoded before.
	BodyErr  error
	Duration time.Duration
}

// Do sends the request. An error means no HTTP answer came (network, TLS,
// timeout); any status, 5xx included, is an Exchange.
func (c *Client) Do(ctx context.Context, r Request) (*Exchange, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
		if r.Body != nil {
			method = http.MethodPost
		}
	}
	u := r.URL
	if u == "" {
		u = c.root.URL(r.Path)
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, u, err)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", UserAgent)
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case r.Auth != nil && *r.Auth != "":
		req.Header.Set("Authorization", *r.Auth)
	case r.Auth == nil && r.Key != "":
		req.Header.Set("Authorization", "Bearer "+r.Key)
	}
	ex := &Exchange{Method: method, URL: u, RequestHeader: req.Header.Clone(), RequestBody: r.Body}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, describeNetError(u, err)
	}
	defer resp.Body.Close()
	ex.Status, ex.Header = resp.StatusCode, resp.Header
	ex.Body, err = io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	ex.Duration = time.Since(start)
	if int64(len(ex.Body)) > c.maxBody {
		ex.Body, ex.Truncated = ex.Body[:c.maxBody], true
	}
	if err != nil && Undecodable(err) {
		ex.BodyErr, err = err, nil
	}
	if err != nil {
		return ex, describeNetError(u, err)
	}
	return ex, nil
}

// Undecodable tells whether err is a body that does not decode as its
// Content-Encoding says: a wrong answer of the target, not a failure of the
// network.
func Undecodable(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
}

// NetError is a failure of the network or the tool, not of the target's
// contract: a run reports it as ERROR, not FAIL.
type NetError struct {
	URL string
	Msg string // what happened, for people: "cannot connect (…): is the base URL right…"
	Err error  // the cause, for errors.Is/As
}

func (e *NetError) Error() string { return e.URL + ": " + e.Msg }
func (e *NetError) Unwrap() error { return e.Err }

func describeNetError(u string, err error) error {
	var msg string
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.Canceled):
		msg = "cancelled"
	case errors.As(err, &netErr) && netErr.Timeout():
		msg = "timed out"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		msg = "cannot connect (" + opErr.Err.Error() + "): is the base URL right and the server up?"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		msg = "TLS failed: " + err.Error()
	default:
		msg = err.Error()
	}
	return &NetError{URL: u, Msg: msg, Err: err}
}
