package target

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	for in, want := range map[string][2]string{
		"X-Gateway: staging":     {"X-Gateway", "staging"},
		"x-api-version:2024-01":  {"X-Api-Version", "2024-01"},
		"X-Empty:":               {"X-Empty", ""},
		"X-Url: http://a:8080/b": {"X-Url", "http://a:8080/b"},
	} {
		k, v, err := ParseHeader(in)
		if err != nil || k != want[0] || v != want[1] {
			t.Errorf("%q: %q %q %v", in, k, v, err)
		}
	}
	for in, want := range map[string]string{
		"novalue":                 "write Name: value",
		": v":                     "write Name: value",
		"Bad Name: v":             "write Name: value",
		"Authorization: Bearer x": "--api-key",
		"host: x":                 "set by the tool",
		"Accept-Encoding: br":     "set by the tool",
	} {
		if _, _, err := ParseHeader(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// A TLS target is refused until trusted, by --insecure or by its CA with
// --ca-cert; extra headers reach it, and a request's own header wins.
func TestConnectionTLSAndHeaders(t *testing.T) {
	got := make(chan http.Header, 10)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	}))
	defer srv.Close()
	root := MustParseBaseURL(srv.URL + "/ai/v1")
	call := func(conn Connection, header http.Header) error {
		_, err := NewClient(root, WithConnection(conn)).Do(context.Background(), Request{Path: PathModels, Key: "cai_k1234", Header: header})
		return err
	}
	if err := call(Connection{}, nil); err == nil || !strings.Contains(err.Error(), "TLS failed") {
		t.Fatalf("untrusted: %v, want TLS failed", err)
	}
	if err := call(Connection{Insecure: true, Header: http.Header{"X-Gateway": {"staging"}, "X-Mine": {"conn"}}}, http.Header{"X-Mine": {"request"}}); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	h := <-got
	if h.Get("X-Gateway") != "staging" || h.Get("X-Mine") != "request" || h.Get("Authorization") != "Bearer cai_k1234" {
		t.Errorf("headers %v", h)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadCACert(caFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := call(Connection{RootCAs: pool}, nil); err != nil {
		t.Fatalf("with --ca-cert: %v", err)
	}
	if _, err := LoadCACert(filepath.Join(t.TempDir(), "none.pem")); err == nil {
		t.Error("a missing CA file loaded")
	}
	if err := os.WriteFile(caFile, []byte("not a cert"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCACert(caFile); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a bad CA file: %v", err)
	}
}
