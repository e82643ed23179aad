// Package target is what every half of carpathian-conform shares about the API
// under test: where it is (base-URL shapes and the root they derive), how to call
// it safely (keys kept in-host, capped bodies, timeouts) and how to show a key.
package target

import (
	"fmt"
	"net/url"
	"strings"
)

// Paths relative to the target's root (the path that ends in /ai).
const (
	PathChat          = "/v1/chat/completions"
	PathModels        = "/v1/models"
	PathAliasChatComp = "/chat/completions"
	PathAliasChat     = "/chat"
	PathAliasV1       = "/v1"
	PathAliasComp     = "/v1/completions"
)

// ChatAliases are the ROUTE-2 aliases of PathChat.
var ChatAliases = []string{PathAliasChatComp, PathAliasChat, PathAliasV1, PathAliasComp}

// BaseShape is one of the documented ways a user writes the base URL (ROUTE-3).
type BaseShape string

const (
	ShapeRoot BaseShape = ""                     // https://host/ai
	ShapeV1   BaseShape = "/v1"                  // https://host/ai/v1 (the documented one)
	ShapeChat BaseShape = "/v1/chat/completions" // the full chat URL pasted as a base
)

// BaseShapes lists every documented base-URL shape.
var BaseShapes = []BaseShape{ShapeRoot, ShapeV1, ShapeChat}

// Root is a target's root URL: scheme, host and the path that ends in /ai,
// under whatever prefix the deployment sits (https://gw.example/staging/ai).
type Root struct{ u url.URL }

// ParseBaseURL accepts each ROUTE-3 shape ({root}, {root}/v1,
// {root}/v1/chat/completions), with or without a trailing slash and under any
// path prefix, and derives the root. Errors read as one line a user can act on.
func ParseBaseURL(raw string) (Root, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Root{}, fmt.Errorf("base URL is empty: give one like https://api.carpathian.ai/ai/v1")
	}
	u, err := url.Parse(s)
	if err != nil {
		return Root{}, fmt.Errorf("base URL %q does not parse (%v): give one like https://api.carpathian.ai/ai/v1", s, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Root{}, fmt.Errorf("base URL %q: scheme must be http or https, as in https://api.carpathian.ai/ai/v1", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return Root{}, fmt.Errorf("base URL %q has no host: give one like https://api.carpathian.ai/ai/v1", s)
	}
	if port := u.Port(); port != "" && !validPort(port) {
		return Root{}, fmt.Errorf("base URL %q: port %q is not a number from 1 to 65535", s, port)
	}
	if u.User != nil {
		return Root{}, fmt.Errorf("base URL %q carries credentials: pass the key with --api-key, not in the URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Root{}, fmt.Errorf("base URL %q has a query or fragment: give the base alone, like https://api.carpathian.ai/ai/v1", s)
	}
	p := strings.TrimRight(u.Path, "/")
	for _, shape := range []BaseShape{ShapeChat, ShapeV1} {
		if strings.HasSuffix(p, string(shape)) {
			p = strings.TrimSuffix(p, string(shape))
			break
		}
	}
	root := url.URL{Scheme: u.Scheme, Host: u.Host, Path: p}
	return Root{u: root}, nil
}

// MustParseBaseURL is ParseBaseURL for URLs known good (tests, our own server).
func MustParseBaseURL(raw string) Root {
	r, err := ParseBaseURL(raw)
	if err != nil {
		panic(err)
	}
	return r
}

// URL joins a path relative to the root: r.URL(PathChat).
func (r Root) URL(rel string) string {
	u := r.u
	u.Path = r.u.Path + rel
	return u.String()
}

// Base is the base URL a client of the given shape is configured with.
func (r Root) Base(shape BaseShape) string { return r.URL(string(shape)) }

// String is the root itself, e.g. https://api.carpathian.ai/ai.
func (r Root) String() string { return r.u.String() }

// Host is host[:port], what redirects are checked against.
func (r Root) Host() string { return r.u.Host }

// IsZero tells whether no base URL was given.
func (r Root) IsZero() bool { return r.u.Host == "" }

func validPort(p string) bool {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return false
		}
	}
	return n > 0
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
