package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/deployments/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Validator compiles a module and returns its settings, or an error that says
// clearly why the module cannot run (it becomes the build log and the
// deployment's error).
type Validator interface {
	Validate(ctx context.Context, wasm []byte) (abi.Settings, error)
}

// Config wires the service.
type Config struct {
	Logger    *slog.Logger
	Metrics   *natsrpc.Metrics
	Validator Validator
	// ArtifactReplicas is the replica count of the artifact bucket when the
	// service creates it (1 for a single NATS server, 3 for a cluster).
	ArtifactReplicas int
	// Registerer receives the log publisher's metrics. Nil: none.
	Registerer prometheus.Registerer
	// UploadTimeout bounds validation of one upload (compiling a large module
	// on a cold cache takes seconds).
	UploadTimeout time.Duration
}

// Service is a running deployments service.
type Service struct {
	nc        *nats.Conn
	rpc       *natsrpc.Service
	store     store
	artifacts jetstream.ObjectStore
	validator Validator
	logs      *lapi.Publisher
	log       *slog.Logger
	now       func() time.Time
}

// Start registers the deployments endpoints. The schema must already be
// migrated (see Schema).
func Start(ctx context.Context, nc *nats.Conn, pool *pgxpool.Pool, cfg Config) (*Service, error) {
	if cfg.Validator == nil {
		return nil, fmt.Errorf("deployments: a module validator is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = 60 * time.Second
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("deployments: jetstream: %w", err)
	}
	artifacts, err := api.CreateArtifactStore(ctx, js, cfg.ArtifactReplicas)
	if err != nil {
		return nil, fmt.Errorf("deployments: %w", err)
	}
	logs, err := lapi.NewPublisher(nc, lapi.PublisherConfig{Source: "deployments", Replicas: cfg.ArtifactReplicas,
		Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, fmt.Errorf("deployments: %w", err)
	}
	rpc, err := natsrpc.NewService(nc, natsrpc.ServiceConfig{
		Name: "gatehouse-deployments", Version: "0.1.0",
		Description: "Workflow deployments: upload, validate, make live, preview",
		Logger:      cfg.Logger, Metrics: cfg.Metrics,
	})
	if err != nil {
		_ = logs.Close(ctx)
		return nil, err
	}
	s := &Service{nc: nc, rpc: rpc, store: &pgStore{pool: pool}, artifacts: artifacts, logs: logs,
		validator: cfg.Validator, log: cfg.Logger.With("service", "deployments"), now: time.Now}

	ep := func(name, subject string) natsrpc.EndpointConfig {
		return natsrpc.EndpointConfig{Name: name, Subject: subject, Workers: 8}
	}
	upload := ep("upload", api.SubjectUpload)
	upload.Timeout, upload.Workers = cfg.UploadTimeout, 2
	for _, err := range []error{
		natsrpc.Handle(rpc, upload, s.upload),
		natsrpc.Handle(rpc, ep("list", api.SubjectList), s.list),
		natsrpc.Handle(rpc, ep("get", api.SubjectGet), s.get),
		natsrpc.Handle(rpc, ep("live", api.SubjectLive), s.live),
		natsrpc.Handle(rpc, ep("live_triggers", api.SubjectLiveTriggers), s.liveTriggers),
		natsrpc.Handle(rpc, ep("make_live", api.SubjectMakeLive), s.makeLive),
		natsrpc.Handle(rpc, ep("deactivate", api.SubjectDeactivate), s.deactivate),
		natsrpc.Handle(rpc, ep("delete", api.SubjectDelete), s.deleteDeployment),
		natsrpc.Handle(rpc, ep("delete_workflow", api.SubjectDeleteWorkflow), s.deleteWorkflow),
		natsrpc.Handle(rpc, ep("workflows", api.SubjectWorkflows), s.workflows),
		natsrpc.Handle(rpc, ep("preview_check", api.SubjectPreviewCheck), s.previewCheck),
		natsrpc.Handle(rpc, ep("preview_password", api.SubjectPreviewPassword), s.previewPassword),
		natsrpc.Handle(rpc, ep("settings_get", api.SubjectGetSettings), s.getSettings),
		natsrpc.Handle(rpc, ep("settings_set", api.SubjectSetSettings), s.setSettings),
	} {
		if err != nil {
			_ = rpc.Stop(ctx)
			_ = logs.Close(ctx)
			return nil, err
		}
	}
	return s, nil
}

// Stop stops serving, letting requests in flight finish, then publishes the
// log records still buffered.
func (s *Service) Stop(ctx context.Context) error {
	return errors.Join(s.rpc.Stop(ctx), s.logs.Close(ctx))
}

// publishLog hands a build or sync line to the logs service's stream.
func (s *Service) publishLog(env string, e api.LogEntry) {
	s.logs.Publish(lapi.Record{ID: ids.New("log"), Kind: lapi.Kind(e.Kind), Env: env, WorkflowID: e.WorkflowID,
		DeploymentID: e.DeploymentID, Time: e.CreatedAt, Level: e.Level, Message: e.Message})
}

// announce publishes a change so every worker and frontdoor drops its cache.
func (s *Service) announce(c api.Change) {
	data, err := json.Marshal(c)
	if err == nil {
		err = s.nc.Publish(api.EventChanged, data)
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = s.nc.FlushWithContext(ctx)
		cancel()
	}
	if err != nil {
		s.log.Warn("could not announce deployment change", "action", c.Action, "deployment", c.DeploymentID, "err", err)
	}
}
