package bench

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// echoSubject is where the echo responder listens.
const echoSubject = "gatehouse.bench.echo"

// measureEcho times a bare NATS request-reply on the server at url: a
// responder on its own connection replies with the request bytes; the client
// is on another connection. payload is the size of a trigger request.
func measureEcho(ctx context.Context, url string, payload []byte, spec runSpec) (Latency, error) {
	rc, err := nats.Connect(url, nats.Name("gatehouse-bench-echo-responder"))
	if err != nil {
		return Latency{}, fmt.Errorf("echo: connect responder to %s: %w", url, err)
	}
	defer rc.Close()
	sub, err := rc.Subscribe(echoSubject, func(m *nats.Msg) { _ = m.Respond(m.Data) })
	if err != nil {
		return Latency{}, fmt.Errorf("echo: subscribe %s: %w", echoSubject, err)
	}
	defer sub.Unsubscribe()
	if err := rc.FlushTimeout(5 * time.Second); err != nil {
		return Latency{}, fmt.Errorf("echo: flush responder: %w", err)
	}
	cc, err := nats.Connect(url, nats.Name("gatehouse-bench-echo-client"))
	if err != nil {
		return Latency{}, fmt.Errorf("echo: connect client to %s: %w", url, err)
	}
	defer cc.Close()
	return measure(ctx, "echo", spec, func() error {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		m, err := cc.RequestWithContext(cctx, echoSubject, payload)
		if err != nil {
			return fmt.Errorf("echo request: %w", err)
		}
		if !bytes.Equal(m.Data, payload) {
			return fmt.Errorf("echo reply differs from the request (%d bytes, want %d)", len(m.Data), len(payload))
		}
		return nil
	})
}
