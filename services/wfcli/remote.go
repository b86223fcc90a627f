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

// Environment variables the remote flags default to.
const (
	envNATSURL      = "GATEHOUSE_NATS_URL"
	envURL          = "GATEHOUSE_URL"
	envToken        = "GATEHOUSE_TOKEN"
	envClientID     = "GATEHOUSE_CLIENT_ID"
	envClientSecret = "GATEHOUSE_CLIENT_SECRET"
)

// Deadlines of requests to Gatehouse.
const (
	connectTimeout = 5 * time.Second
	requestTimeout = 10 * time.Second
	uploadTimeout  = 2 * time.Minute // the service compiles and validates the module
)

// remoteFlags are the flags of every command that talks to Gatehouse:
// over NATS by default, over its management API with --url.
type remoteFlags struct {
	natsURL      *string
	env          *string
	url          *string
	token        *string
	clientID     *string
	clientSecret *string
}

func addRemoteFlags(f *flagSet) remoteFlags {
	def := os.Getenv(envNATSURL)
	if def == "" {
		def = defaultNATSURL
	}
	return remoteFlags{
		natsURL: f.String("nats-url", def, "NATS URL of Gatehouse ($"+envNATSURL+"), when --url is not given"),
		env:     f.String("environment", envname.Default, "Gatehouse environment"),
		url:     f.String("url", os.Getenv(envURL), "base URL of Gatehouse (its issuer, https://id.example.com): talk to its management API instead of NATS ($"+envURL+")"),
		// Secrets never default from the environment here: -h would print
		// them. credentials reads the variables.
		token:        f.String("token", "", "management API access token, with --url ($"+envToken+")"),
		clientID:     f.String("client-id", "", "client id of a machine-to-machine application allowed the management API, with --url ($"+envClientID+")"),
		clientSecret: f.String("client-secret", "", "its client secret; prefer $"+envClientSecret+", which stays out of the process list"),
	}
}

// validateEnv checks the environment name.
func (r remoteFlags) validateEnv() error {
	if err := envname.Validate(*r.env); err != nil {
		return usagef("--environment: %v", err)
	}
	return nil
}

// validate checks the environment name and the management API
// credentials.
func (r remoteFlags) validate() error {
	if err := r.validateEnv(); err != nil {
		return err
	}
	if *r.url == "" {
		if *r.token != "" || *r.clientID != "" || *r.clientSecret != "" {
			return usagef("--token, --client-id and --client-secret are for the management API: give its --url too")
		}
		return nil
	}
	if _, err := parseBaseURL(*r.url); err != nil {
		return usagef("--url: %v", err)
	}
	if r.credentials() == (credentials{}) {
		return usagef("--url needs an access token (--token or $%s) or a machine-to-machine client (--client-id and --client-secret, or $%s and $%s)",
			envToken, envClientID, envClientSecret)
	}
	if c := r.credentials(); c.token == "" && (c.clientID == "" || c.clientSecret == "") {
		return usagef("give both the client id and the client secret (--client-id / $%s, --client-secret / $%s)", envClientID, envClientSecret)
	}
	return nil
}

// credentials are what obtains a management API token.
type credentials struct {
	token, clientID, clientSecret string
}

// credentials reads the flags, falling back on the environment variables.
func (r remoteFlags) credentials() credentials {
	or := func(flag, env string) string {
		if flag != "" {
			return flag
		}
		return os.Getenv(env)
	}
	c := credentials{token: or(*r.token, envToken)}
	if c.token == "" {
		c.clientID, c.clientSecret = or(*r.clientID, envClientID), or(*r.clientSecret, envClientSecret)
	}
	return c
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

// open returns the Gatehouse the flags name: its management API with
// --url, else its NATS server. The caller closes it.
func (r remoteFlags) open(ctx context.Context) (gatehouse, error) {
	if *r.url != "" {
		return openHTTP(ctx, *r.url, *r.env, r.credentials())
	}
	nc, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	return &natsGatehouse{nc: nc, env: *r.env}, nil
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

// with checks the flags, opens the Gatehouse, runs fn with it and the
// environment, and closes it.
func (r remoteFlags) with(ctx context.Context, fn func(ctx context.Context, g gatehouse, env string) error) error {
	if err := r.validate(); err != nil {
		return err
	}
	g, err := r.open(ctx)
	if err != nil {
		return err
	}
	defer g.Close()
	return fn(ctx, g, *r.env)
}
