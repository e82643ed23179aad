package target

import (
	"context"
	"io"
	"net/http"
	"time"
)

// RoundTripWithin sends req through next with timeout as its deadline, which
// lasts until the response body is closed: a whole call, body included, as
// http.Client.Timeout bounds it. Wrapping transports use it instead of the
// client's timeout, with which net/http falls back, for a RoundTripper it
// does not know, to its legacy cancellation (a goroutine and a timer more
// per call). A timeout of 0 sets no deadline.
func RoundTripWithin(next http.RoundTripper, req *http.Request, timeout time.Duration) (*http.Response, error) {
	if timeout <= 0 {
		return next.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	resp, err := next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
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
