package load

import (
	"bufio"
	"fmt"
	"io"

	"github.com/carpathian-ai/carpathian-conform/internal/output"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Sink receives every hit of a run, in arrival order, from one goroutine.
// It must not keep the *Hit after Add returns. Close is called once, when the
// run ends for whatever reason (Ctrl-C included), so outputs are always
// complete.
type Sink interface {
	Add(*Hit) error
	Close() error
}

// SinkFunc adapts a function to a Sink with nothing to close: a stream of
// results for a caller (ratelimit and capacity analyses).
type SinkFunc func(*Hit) error

func (f SinkFunc) Add(h *Hit) error { return f(h) }
func (f SinkFunc) Close() error     { return nil }

// BinaryOutput writes every result in vegeta's binary (gob) results format,
// which `vegeta report`, `vegeta plot` and vegeta.NewDecoder read. Close
// flushes; it does not close w.
func BinaryOutput(w io.Writer) Sink {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &binaryOutput{bw: bw, enc: vegeta.NewEncoder(bw)}
}

type binaryOutput struct {
	bw  *bufio.Writer
	enc vegeta.Encoder
}

func (o *binaryOutput) Add(h *Hit) error { return o.enc.Encode(h.Result) }
func (o *binaryOutput) Close() error     { return o.bw.Flush() }

// FileOutput opens path with output.Create, which never destroys what the
// path points at ("-" is stdout, a FIFO or device is written through, a
// regular file appears whole when the run ends), and makes a sink writing to
// it with newSink; the file is delivered when the sink is closed.
func FileOutput(path string, stdout io.Writer, newSink func(io.Writer) Sink) (Sink, error) {
	f, err := output.Create(path, stdout)
	if err != nil {
		return nil, fmt.Errorf("cannot create %s: %v", path, err)
	}
	return &fileOutput{Sink: newSink(f), f: f, path: path}, nil
}

type fileOutput struct {
	Sink
	f    *output.File
	path string
}

func (o *fileOutput) Close() error {
	if err := o.Sink.Close(); err != nil {
		o.f.Abort()
		return fmt.Errorf("writing %s: %v", o.path, err)
	}
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("writing %s: %v", o.path, err)
	}
	return nil
}
