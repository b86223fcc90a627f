package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/platform"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
)

// benchEnv is the environment the workflows are deployed to.
const benchEnv = "bench"

// stack is the running platform and a frontdoor-side trigger client on its
// own NATS connection.
type stack struct {
	p        *platform.Platform
	dataDir  string
	nc       *nats.Conn // the frontdoor's connection
	client   *wapi.Client
	js       jetstream.JetStream
	workerN  int
	workerQ  int
	limits   engine.Limits
	cacheDir string
	stopped  bool
}

// startStack starts the whole platform with an embedded NATS server on a
// random port.
func startStack(ctx context.Context, cfg Config, dataDir string) (*stack, error) {
	pc := platform.DefaultConfig()
	pc.DatabaseURL = cfg.DatabaseURL
	pc.NATSPort = -1
	// The frontdoor's issuer is its public URL (its redirects and
	// discovery use it), so the listener's address must be known first.
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	pc.HTTPAddr = addr
	pc.IssuerURL = "http://" + addr
	pc.DataDir = dataDir
	pc.WorkerConcurrency = cfg.WorkerConcurrency
	pc.WorkerQueue = cfg.WorkerQueue
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := platform.Start(ctx, pc, log)
	if err != nil {
		return nil, fmt.Errorf("start the platform: %w", err)
	}
	s := &stack{p: p, dataDir: dataDir, workerN: pc.WorkerConcurrency, workerQ: pc.WorkerQueue,
		limits: pc.Limits, cacheDir: filepath.Join(dataDir, "cache", "wazero")}
	s.nc, err = nats.Connect(p.NATSURL(), nats.Name("gatehouse-bench-frontdoor"))
	if err != nil {
		_ = s.stop(ctx)
		return nil, fmt.Errorf("connect the trigger client to %s: %w", p.NATSURL(), err)
	}
	s.client, err = wapi.NewClient(s.nc)
	if err == nil {
		s.js, err = jetstream.New(s.nc)
	}
	if err != nil {
		_ = s.stop(ctx)
		return nil, fmt.Errorf("trigger client: %w", err)
	}
	return s, nil
}

// freeLoopbackAddr returns a loopback address whose port was free a moment
// ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port for the HTTP listener: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("find a free loopback port for the HTTP listener: %w", err)
	}
	return addr, nil
}

// baseURL is the issuer of the default environment: the HTTP listener.
func (s *stack) baseURL() string { return "http://" + s.p.HTTPAddr() }

// stop closes the client and stops the platform; later calls do nothing.
func (s *stack) stop(ctx context.Context) error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	if s.client != nil {
		_ = s.client.Close()
	}
	if s.nc != nil {
		s.nc.Close()
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.p.Stop(sctx); err != nil {
		return fmt.Errorf("stop the platform: %w", err)
	}
	return nil
}

// uploadTimes splits an upload into its steps.
type uploadTimes struct {
	Put    time.Duration // PutArtifact into the object store
	Upload time.Duration // the upload RPC: validation and going live
}

// upload stores wasm and deploys it to benchEnv; the deployment must go live.
func (s *stack) upload(ctx context.Context, wasm []byte, source string) (dapi.UploadResponse, uploadTimes, error) {
	return s.uploadTo(ctx, benchEnv, wasm, source)
}

// uploadTo stores wasm and deploys it to env; the deployment must go live.
func (s *stack) uploadTo(ctx context.Context, env string, wasm []byte, source string) (dapi.UploadResponse, uploadTimes, error) {
	var ut uploadTimes
	uctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	sha, err := dapi.PutArtifact(uctx, s.js, wasm)
	if err != nil {
		return dapi.UploadResponse{}, ut, fmt.Errorf("store the %s module: %w", source, err)
	}
	ut.Put = time.Since(start)
	start = time.Now()
	resp, err := natsrpc.Call[dapi.UploadRequest, dapi.UploadResponse](uctx, s.nc, dapi.SubjectUpload,
		dapi.UploadRequest{Env: env, SHA256: sha, Source: source})
	if err != nil {
		return resp, ut, fmt.Errorf("upload the %s module: %w", source, err)
	}
	ut.Upload = time.Since(start)
	if resp.Deployment.Status != dapi.StatusLive {
		return resp, ut, fmt.Errorf("the %s deployment is %s, not live: %s", source, resp.Deployment.Status, resp.Deployment.Error)
	}
	return resp, ut, nil
}

// waitFor fires the tokens trigger until ok accepts the decision or the
// timeout passes, pausing poll between attempts.
func (s *stack) waitFor(ctx context.Context, timeout, poll time.Duration, what string, ok func(wapi.Decision) bool) (wapi.Decision, error) {
	var d wapi.Decision
	deadline := time.Now().Add(timeout)
	for {
		var err error
		d, err = s.fire(ctx)
		if err != nil {
			return d, err
		}
		if ok(d) {
			return d, nil
		}
		if time.Now().After(deadline) {
			return d, fmt.Errorf("%s: not seen within %s; last decision ran=%v error=%+v", what, timeout, d.Ran, d.Error)
		}
		time.Sleep(poll)
	}
}
