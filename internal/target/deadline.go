package target

import (
	"context"
	"io"
	"net/http"
	"time"
)

// withDeadline bounds every call through next by timeout, a deadline that
// lasts until the response body is closed: a whole call, body included, as
// http.Client.Timeout bounds it. The tool's clients use it instead of the
// client's timeout, with which net/http falls back, for any RoundTripper it
// does not know (ours wrap the Transport), to its legacy cancellation: two
// goroutines, a timer and channels more per call. A timeout of 0 sets none.
func withDeadline(next http.RoundTripper, timeout time.Duration) http.RoundTripper {
	if timeout <= 0 {
		return next
	}
	return &deadlineTransport{next: next, timeout: timeout}
}

type deadlineTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// Unwrap lets HTTPTransport reach the Transport beneath.
func (t *deadlineTransport) Unwrap() http.RoundTripper { return t.next }

// CloseIdleConnections lets http.Client.CloseIdleConnections reach it too.
func (t *deadlineTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// cancelOnClose ends a call's deadline when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
