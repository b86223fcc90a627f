package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Config configures a worker.
type Config struct {
	// Concurrency is how many executions run at once (default 2×GOMAXPROCS).
	Concurrency int
	// Queue is how many requests may wait for a free slot before new ones are
	// shed (default 64×Concurrency).
	Queue int
	// MaxDecisionBytes caps an encoded decision (default 512 KiB, and never
	// more than the NATS server's max payload less 4 KiB for headers).
	MaxDecisionBytes int
	// Engine configures the wasm runtime and its limits.
	Engine engine.Config
	// LogReplicas is the replica count of the log stream if this worker is
	// the first to publish and has to create it.
	LogReplicas int
	Logger      *slog.Logger
	Metrics     *natsrpc.Metrics
	Registerer  prometheus.Registerer
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("worker concurrency must not be negative (got %d)", c.Concurrency))
	}
	if c.MaxDecisionBytes < 0 {
		errs = append(errs, fmt.Errorf("worker max decision bytes must not be negative (got %d)", c.MaxDecisionBytes))
	}
	if c.Queue < 0 {
		errs = append(errs, fmt.Errorf("worker queue must not be negative (got %d)", c.Queue))
	}
	if err := c.Engine.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Service is a running worker.
type Service struct {
	rpc      *natsrpc.Service
	eng      *engine.Engine
	res      *resolver
	sub      *nats.Subscription
	keys     *keySource
	logs     *lapi.Publisher
	cancel   context.CancelFunc
	log      *slog.Logger
	metrics  *metrics
	maxReply int
}

// Start compiles nothing up front: modules are loaded on first use or when a
// deployment goes live.
func Start(ctx context.Context, nc *nats.Conn, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.Queue == 0 {
		cfg.Queue = 64 * cfg.Concurrency
	}
	if cfg.MaxDecisionBytes == 0 {
		cfg.MaxDecisionBytes = 512 << 10
	}
	if limit := int(nc.MaxPayload()) - 4<<10; limit > 0 && cfg.MaxDecisionBytes > limit {
		cfg.MaxDecisionBytes = limit
	}
	if cfg.Engine.Logger == nil {
		cfg.Engine.Logger = cfg.Logger
	}
	if cfg.Engine.Registerer == nil {
		cfg.Engine.Registerer = cfg.Registerer
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("worker: jetstream: %w", err)
	}
	keys, err := newKeySource(nc)
	if err != nil {
		return nil, err
	}
	if cfg.Engine.Env == nil {
		cfg.Engine.Env = keys
	}
	if cfg.Engine.SecureFetch == nil {
		cfg.Engine.SecureFetch = keys
	}
	eng, err := engine.New(ctx, cfg.Engine)
	if err != nil {
		_ = keys.close()
		return nil, fmt.Errorf("worker: start engine: %w", err)
	}
	logs, err := lapi.NewPublisher(nc, lapi.PublisherConfig{Source: "worker", Replicas: cfg.LogReplicas,
		Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		_ = keys.close()
		_ = eng.Close(ctx)
		return nil, fmt.Errorf("worker: %w", err)
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &Service{eng: eng, res: newResolver(bg, nc, eng, js), cancel: cancel, keys: keys, logs: logs,
		log: cfg.Logger.With("service", "worker"), metrics: newMetrics(cfg.Registerer), maxReply: cfg.MaxDecisionBytes}

	go s.res.janitor(bg)
	s.sub, err = nc.Subscribe(dapi.EventChanged, func(m *nats.Msg) { s.res.changed(bg, m.Data) })
	if err != nil {
		cancel()
		_ = eng.Close(ctx)
		_ = keys.close()
		_ = logs.Close(ctx)
		return nil, fmt.Errorf("worker: subscribe %s: %w", dapi.EventChanged, err)
	}
	s.rpc, err = natsrpc.NewService(nc, natsrpc.ServiceConfig{
		Name: "gatehouse-worker", Version: "0.1.0", Description: "Runs workflow triggers in wazero",
		Logger: cfg.Logger, Metrics: cfg.Metrics,
	})
	if err == nil {
		err = natsrpc.HandleRaw(s.rpc, natsrpc.EndpointConfig{
			Name: "trigger", Subject: api.SubjectAll, QueueGroup: api.QueueGroup,
			Workers: cfg.Concurrency, Queue: cfg.Queue, Timeout: 30 * time.Second, OnRefused: s.refused,
		}, s.trigger)
	}
	if err != nil {
		_ = s.Stop(ctx)
		return nil, fmt.Errorf("worker: %w", err)
	}
	return s, nil
}

// Stop stops taking triggers, finishes those in flight and closes the engine.
func (s *Service) Stop(ctx context.Context) error {
	var errs []error
	if s.rpc != nil {
		errs = append(errs, s.rpc.Stop(ctx))
	}
	if s.sub != nil {
		errs = append(errs, s.sub.Unsubscribe())
	}
	errs = append(errs, s.keys.close(), s.logs.Close(ctx))
	s.cancel()
	if err := s.res.stop(ctx); err != nil {
		// Closing the engine under a running compile is unsafe; leave it to
		// the process exit.
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, s.eng.Close(ctx))
	return errors.Join(errs...)
}

// trigger serves one trigger request.
func (s *Service) trigger(ctx context.Context, data []byte) ([]byte, error) {
	start := time.Now()
	env, t, ok := api.ParseSubject(natsrpc.Subject(ctx))
	if !ok {
		return nil, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "subject %q does not name an environment and a known trigger", natsrpc.Subject(ctx))
	}
	var req api.TriggerRequest
	if err := json.Unmarshal(data, &req); err != nil {
		s.metrics.executed(t, "invalid", time.Since(start))
		return nil, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "trigger request for %s is not valid JSON: %v", t, err)
	}
	d := s.run(ctx, env, t, req)
	d.Redact(passwords(t, req.Event)...)
	if d.Redactions > 0 {
		s.metrics.redacted(d.Redactions)
	}
	if d.FailurePolicy == "" {
		d.FailurePolicy = abi.FailureStop
	}
	out, err := json.Marshal(d)
	if err == nil && len(out) > s.maxReply {
		small := tooLarge(d, len(out), s.maxReply)
		out, err = json.Marshal(small)
		d.Error = small.Error // the log records what the flow saw, with the console
	}
	o := outcome(&d)
	s.metrics.executed(t, o, time.Since(start))
	if o != outcomeNotLive {
		s.logs.Publish(runtimeRecord(env, t, start, &d, lapi.Outcome(o)))
	}
	return out, err
}

// refused logs a trigger the endpoint refused before it reached the handler.
func (s *Service) refused(subject string, code natsrpc.Code) {
	env, t, ok := api.ParseSubject(subject)
	if !ok {
		return
	}
	o, msg := lapi.OutcomeShed, "the worker was at capacity and shed the request"
	if code == natsrpc.CodeDeadlineExceeded {
		o, msg = lapi.OutcomeTimeout, "the caller's deadline passed while the request waited for a worker"
	}
	s.metrics.executed(t, string(o), 0)
	s.logs.Publish(refusedRecord(env, t, o, msg))
}

// tooLarge replaces a decision that would not fit in a reply with an error
// the caller can act on: the flow gets an answer, and the failure policy.
func tooLarge(d api.Decision, size, limit int) api.Decision {
	return api.Decision{
		Ran: d.Ran, ExecutionID: d.ExecutionID, DeploymentID: d.DeploymentID, WorkflowID: d.WorkflowID,
		FailurePolicy: d.FailurePolicy, DurationMs: d.DurationMs,
		Error: &api.ExecError{Code: api.ErrCodeLimit, Message: fmt.Sprintf(
			"the workflow's decision is %d bytes, over the %d-byte limit: set fewer or smaller claims and log less", size, limit)},
	}
}

func (s *Service) run(ctx context.Context, env string, t abi.Trigger, req api.TriggerRequest) api.Decision {
	dep, err := s.res.deployment(ctx, env, t, req.DeploymentID)
	if err != nil {
		code := api.ErrCodeUnavailable
		if natsrpc.IsCode(err, natsrpc.CodeNotFound) {
			code = api.ErrCodeNotFound
		}
		return api.Decision{Ran: false, DeploymentID: req.DeploymentID, FailurePolicy: abi.FailureStop,
			Error: &api.ExecError{Code: code, Message: err.Error()}}
	}
	if dep == nil {
		return api.Decision{Ran: false}
	}
	policy := dep.FailurePolicy
	if policy == "" {
		policy = abi.FailureStop
	}
	m, err := s.res.module(ctx, dep.SHA256)
	if err != nil {
		s.log.Error("cannot load workflow module", "deployment", dep.ID, "err", err)
		return api.Decision{Ran: false, DeploymentID: dep.ID, WorkflowID: dep.WorkflowID, FailurePolicy: policy,
			Error: &api.ExecError{Code: api.ErrCodeInternal, Message: "the workflow module could not be loaded: " + err.Error()}}
	}
	return s.eng.Execute(ctx, m, engine.Run{Env: env, Event: req.Event, ExecutionID: ids.New("exe"), DeploymentID: dep.ID})
}

// outcomeNotLive: no workflow is live for the trigger; nothing ran.
const outcomeNotLive = "not_live"

// outcome names a decision for metrics and logs: ok, denied, error, timeout
// (the runtime log outcomes), or not_live.
func outcome(d *api.Decision) string {
	switch {
	case !d.Ran && d.Error == nil:
		return outcomeNotLive
	case d.Error != nil && d.Error.Code == api.ErrCodeTimeout:
		return "timeout"
	case d.Error != nil:
		return "error"
	case d.Denied != nil || d.PlanDenied != nil || len(d.FormErrors) > 0:
		return "denied"
	default:
		return "ok"
	}
}
