package target

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A redirect to another host must come back as the redirect itself: following
// it would hand the key to that host.
func TestClientNeverSendsKeyToAnotherHost(t *testing.T) {
	leaked := make(chan string, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked <- r.Header.Get("Authorization")
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/ai/v1/models", http.StatusTemporaryRedirect)
	}))
	defer origin.Close()

	c := NewClient(MustParseBaseURL(origin.URL + "/ai/v1"))
	ex, err := c.Do(context.Background(), Request{Path: PathModels, Key: "cai_secretsecret1234"})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != http.StatusTemporaryRedirect {
		t.Fatalf("status %d, want the 307 itself", ex.Status)
	}
	select {
	case auth := <-leaked:
		t.Fatalf("the other host received a request (Authorization %q)", Redact(auth))
	default:
	}
}

func TestClientFollowsSameHostRedirect(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old/ai/v1/models" {
			http.Redirect(w, r, srv.URL+"/ai/v1/models", http.StatusMovedPermanently)
			return
		}
		if r.Header.Get("Authorization") != "Bearer cai_k1234567" {
			w.WriteHeader(401)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ex, err := NewClient(MustParseBaseURL(srv.URL+"/old/ai")).Do(context.Background(), Request{Path: PathModels, Key: "cai_k1234567"})
	if err != nil || ex.Status != 200 {
		t.Fatalf("got %v, %v", ex, err)
	}
}

func TestClientCapsBodyAndTimesOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ai/slow" {
			time.Sleep(200 * time.Millisecond)
		}
		w.Write([]byte(strings.Repeat("x", 100)))
	}))
	defer srv.Close()
	c := NewClient(MustParseBaseURL(srv.URL+"/ai"), WithMaxBody(10), WithTimeout(50*time.Millisecond))
	ex, err := c.Do(context.Background(), Request{Path: "/big"})
	if err != nil || len(ex.Body) != 10 || !ex.Truncated {
		t.Fatalf("body %d truncated %v err %v", len(ex.Body), ex.Truncated, err)
	}
	_, err = c.Do(context.Background(), Request{Path: "/slow"})
	var ne *NetError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a timeout NetError, got %v", err)
	}
}

// A body that does not decode as its Content-Encoding says is the target's
// answer, kept with its status for the checks to judge; no network failure.
func TestClientKeepsAnUndecodableBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte(`{"not":"gzip"}`))
	}))
	defer srv.Close()
	ex, err := NewClient(MustParseBaseURL(srv.URL+"/ai")).Do(context.Background(), Request{Path: PathModels})
	if err != nil || ex.Status != http.StatusOK || !Undecodable(ex.BodyErr) {
		t.Fatalf("want the 200 kept with its decoding error, got %+v, %v", ex, err)
	}
}

func TestClientUnreachableIsNetError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := NewClient(MustParseBaseURL(url+"/ai")).Do(context.Background(), Request{Path: PathModels})
	var ne *NetError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "cannot connect") {
		t.Fatalf("want a connect NetError, got %v", err)
	}
}

func TestEvidenceRedactsAndCurl(t *testing.T) {
	key := "cai_0123456789abcdef"
	ex := &Exchange{
		Method: "POST", URL: "http://127.0.0.1:1/ai/v1/chat/completions",
		RequestHeader: http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}},
		RequestBody:   []byte(`{"echo":"` + key + `"}`),
		Status:        401, Header: http.Header{"Content-Type": {"application/json"}},
		Body: []byte(`{"error":{"message":"bad key ` + key + `"}}`),
	}
	ev := ex.Evidence(NewRedactor(key))
	all := ev.Curl + ev.RequestBody + ev.ResponseBody + ev.RequestHeaders["Authorization"]
	if strings.Contains(all, key) {
		t.Fatalf("evidence leaks the key: %+v", ev)
	}
	if !strings.Contains(ev.Curl, `-H "Authorization: Bearer $CARPATHIAN_API_KEY"`) {
		t.Fatalf("curl does not use $CARPATHIAN_API_KEY: %s", ev.Curl)
	}
	if ev.RequestHeaders["Authorization"] != "Bearer cai_…cdef" {
		t.Fatalf("Authorization shown as %q", ev.RequestHeaders["Authorization"])
	}
}

// A curl reads each key from its own variable, so pasting it replays the very
// request: the revoked key's refusal with $CARPATHIAN_REVOKED_KEY, not the
// valid key's success. A made-up key is no secret and is shown as it is.
func TestCurlNamesEachKeysVariable(t *testing.T) {
	red := NewNamedRedactor(NamedKey{"cai_validvalidvalid1111", "CARPATHIAN_API_KEY"}, NamedKey{"cai_revokedrevoked2222", "CARPATHIAN_REVOKED_KEY"}, NamedKey{Key: "cai_unnamedunnamed3333"})
	cases := map[string]string{
		"cai_validvalidvalid1111":              `"Authorization: Bearer $CARPATHIAN_API_KEY"`,
		"cai_revokedrevoked2222":               `"Authorization: Bearer $CARPATHIAN_REVOKED_KEY"`,
		"cai_unnamedunnamed3333":               `"Authorization: Bearer $CARPATHIAN_API_KEY"`,
		"cai_00000000000000000000000000000000": `'Authorization: Bearer cai_00000000000000000000000000000000'`,
	}
	for key, want := range cases {
		ex := &Exchange{Method: "GET", URL: "http://127.0.0.1:1/ai/v1/models", RequestHeader: http.Header{"Authorization": {"Bearer " + key}}}
		if got := ex.Curl(red); !strings.Contains(got, want) {
			t.Errorf("key %s: curl %s, want %s in it", Redact(key), got, want)
		}
	}
}

// A key sent with no scheme, and a key derived from another (the mistyped
// key), reproduce from their variable and never show in full.
func TestCurlRebuildsDerivedAndSchemelessKeys(t *testing.T) {
	red := NewNamedRedactor(NamedKey{"cai_validvalidvalid1111", "CARPATHIAN_API_KEY"}, NamedKey{"cai_validvalidvalid1110", "{CARPATHIAN_API_KEY%?}0"})
	cases := map[string]string{
		"Bearer cai_validvalidvalid1110": `"Authorization: Bearer ${CARPATHIAN_API_KEY%?}0"`,
		"cai_validvalidvalid1111":        `"Authorization: $CARPATHIAN_API_KEY"`,
	}
	for auth, want := range cases {
		ex := &Exchange{Method: "GET", URL: "http://127.0.0.1:1/ai/v1/models", RequestHeader: http.Header{"Authorization": {auth}}}
		got := ex.Curl(red)
		if !strings.Contains(got, want) || strings.Contains(got, "validvalid") {
			t.Errorf("%s: curl %s, want %s in it and no key", Redact(auth), got, want)
		}
		if h := ex.Evidence(red).RequestHeaders["Authorization"]; strings.Contains(h, "validvalid") {
			t.Errorf("%s: evidence header %q shows the key", Redact(auth), h)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in     string
		wait   time.Duration
		format RetryAfterFormat
	}{
		{"", 0, RetryAfterAbsent},
		{" 7 ", 7 * time.Second, RetryAfterSeconds},
		{"0", 0, RetryAfterSeconds},
		{"Sat, 28 Nov 2026 12:00:30 GMT", 30 * time.Second, RetryAfterDate},
		{"Sat, 28 Nov 2026 11:00:00 GMT", 0, RetryAfterDate}, // past: no wait
		{"-1", 0, RetryAfterInvalid},
		{"1.5", 1500 * time.Millisecond, RetryAfterSeconds}, // fractions, as clients read them
		{"soon", 0, RetryAfterInvalid},
		{"99999999999999999", maxRetryAfter, RetryAfterSeconds}, // capped, never overflowing
	}
	for _, c := range cases {
		if wait, format := ParseRetryAfter(c.in, now); wait != c.wait || format != c.format {
			t.Errorf("ParseRetryAfter(%q) = %s, %s; want %s, %s", c.in, wait, format, c.wait, c.format)
		}
	}
	for name, want := range map[string]bool{"X-RateLimit-Remaining": true, "ratelimit-reset": true, "x-ratelimit-limit-requests": true, "Retry-After": false, "X-Rate": false} {
		if IsRateLimitHeader(name) != want {
			t.Errorf("IsRateLimitHeader(%q) != %v", name, want)
		}
	}
}

// The deadline lives in the transport, so a transport wrapping it keeps
// net/http's context cancellation, and the tuned Transport stays reachable.
func TestHTTPClientTimesOutInItsTransport(t *testing.T) {
	hc := NewHTTPClient(time.Minute, Connection{Header: http.Header{"X-Team": {"a"}}})
	if hc.Timeout != 0 {
		t.Errorf("client timeout %s, want 0 (the transport times calls out)", hc.Timeout)
	}
	if tr, ok := HTTPTransport(hc.Transport); !ok || tr == nil {
		t.Errorf("no *http.Transport beneath %T", hc.Transport)
	}
}
