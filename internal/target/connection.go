package target

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"strings"
)

// Connection is how the tool reaches a target beyond its URL and keys: the
// extra headers a staging gateway wants and the TLS trust it needs. The zero
// value is Go's defaults. Every command that sends takes one, through
// NewHTTPClient, so check, load, ratelimit and capacity reach a target alike.
type Connection struct {
	// Header is added to every request that does not set it already. It may
	// hold a gateway's secret: it is never printed or put in evidence.
	Header http.Header
	// Insecure skips verifying the target's certificate.
	Insecure bool
	// RootCAs, when set, are the CAs the target's certificate must chain to
	// (LoadCACert adds a file's to the system's).
	RootCAs *x509.CertPool
}

// ParseHeader reads "Name: value" (--header). Authorization is refused: keys
// go with --api-key, which redacts them and sends each only to its host.
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
		return "", "", fmt.Errorf("header %q: write Name: value, like 'X-Gateway: staging'", s)
	}
	name = textproto.CanonicalMIMEHeaderKey(name)
	switch name {
	case "Authorization":
		return "", "", fmt.Errorf("header %s: give keys with --api-key, not as a header", name)
	case "Content-Length", "Host", "Transfer-Encoding":
		return "", "", fmt.Errorf("header %s is set by the tool and cannot be given", name)
	case "Accept-Encoding":
		// Given by hand, it would stop the transport from decoding the
		// gzip it asks for itself, and a compressed reply would read as garbage.
		return "", "", fmt.Errorf("header %s is set by the tool (it asks for gzip and decodes it) and cannot be given", name)
	}
	return name, value, nil
}

// LoadCACert reads a PEM file of CA certificates (--ca-cert) and returns the
// system's pool with them added.
func LoadCACert(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ca-cert: %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-cert %s: no PEM certificate in the file (want -----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

// apply sets the connection's TLS trust on tr and wraps it to add headers.
func (c Connection) apply(tr *http.Transport) http.RoundTripper {
	if c.Insecure || c.RootCAs != nil {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: c.Insecure, RootCAs: c.RootCAs} //nolint:gosec // asked for with --insecure
	}
	if len(c.Header) == 0 {
		return tr
	}
	return &headerTransport{next: tr, header: c.Header}
}

// headerTransport adds the connection's headers to each request.
type headerTransport struct {
	next   *http.Transport
	header http.Header
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	for k, vs := range t.header {
		if _, set := r.Header[k]; !set {
			r.Header[k] = vs
		}
	}
	return t.next.RoundTrip(r)
}

// CloseIdleConnections reaches the wrapped transport.
func (t *headerTransport) CloseIdleConnections() { t.next.CloseIdleConnections() }

// Unwrap gives the transport beneath, for callers that tune it.
func (t *headerTransport) Unwrap() http.RoundTripper { return t.next }

// HTTPTransport is the *http.Transport beneath rt, if any.
func HTTPTransport(rt http.RoundTripper) (*http.Transport, bool) {
	switch t := rt.(type) {
	case *http.Transport:
		return t, true
	case interface{ Unwrap() http.RoundTripper }:
		return HTTPTransport(t.Unwrap())
	}
	return nil, false
}
