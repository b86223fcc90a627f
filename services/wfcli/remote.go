package wfcli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// defaultNATSURL is where `gatehouse serve` listens by default.
const defaultNATSURL = "nats://127.0.0.1:4222"

// envNATSURL overrides defaultNATSURL.
const envNATSURL = "GATEHOUSE_NATS_URL"

// Deadlines of requests to Gatehouse.
const (
	connectTimeout = 5 * time.Second
	requestTimeout = 10 * time.Second
	uploadTimeout  = 2 * time.Minute // the service compiles and validates the module
)

// remoteFlags are the flags of every command that talks to Gatehouse.
type remoteFlags struct {
	natsURL *string
	env     *string
}

func addRemoteFlags(f *flagSet) remoteFlags {
	def := os.Getenv(envNATSURL)
	if def == "" {
		def = defaultNATSURL
	}
	return remoteFlags{
		natsURL: f.String("nats-url", def, "NATS URL of Gatehouse ($"+envNATSURL+")"),
		env:     f.String("environment", envname.Default, "Gatehouse environment"),
	}
}

// validate checks the environment name.
func (r remoteFlags) validate() error {
	if err := envname.Validate(*r.env); err != nil {
		return usagef("--environment: %v", err)
	}
	return nil
}

// connect opens a NATS connection to Gatehouse; the caller closes it.
func (r remoteFlags) connect(ctx context.Context) (*nats.Conn, error) {
	url := *r.natsURL
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	nc, err := nats.Connect(url, nats.Name("gatehouse wf"), nats.Timeout(time.Until(deadline)), nats.MaxReconnects(0))
	if err != nil {
		return nil, fmt.Errorf("cannot reach Gatehouse at %s: is `make run` (gatehouse serve) running? (%w)", url, err)
	}
	return nc, nil
}

// call sends one request to a Gatehouse service with a deadline and turns
// the failures people hit into advice.
func call[Req, Resp any](ctx context.Context, nc *nats.Conn, timeout time.Duration, subject string, req Req) (Resp, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := natsrpc.Call[Req, Resp](ctx, nc, subject, req)
	if err != nil {
		switch natsrpc.CodeOf(err) {
		case natsrpc.CodeUnavailable:
			return resp, fmt.Errorf("no Gatehouse service answers on %s at %s: is gatehouse serve running, with the service that owns it? (%w)", subject, nc.ConnectedUrlRedacted(), err)
		case natsrpc.CodeDeadlineExceeded:
			if ctx.Err() != nil {
				return resp, fmt.Errorf("no answer from Gatehouse on %s within %s: %w", subject, timeout, err)
			}
			// The service ran out of time before our deadline.
			return resp, fmt.Errorf("Gatehouse gave up on %s before answering: %w", subject, err)
		}
		return resp, err
	}
	return resp, nil
}

// with checks the flags, connects, runs fn with the connection and the
// environment, and closes the connection.
func (r remoteFlags) with(ctx context.Context, fn func(ctx context.Context, nc *nats.Conn, env string) error) error {
	if err := r.validate(); err != nil {
		return err
	}
	nc, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	return fn(ctx, nc, *r.env)
}
