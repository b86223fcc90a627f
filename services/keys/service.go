package keys

import (
	"context"
	"crypto/ecdh"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

// Schema is the PostgreSQL schema the keys service owns.
const Schema = "keys"

// Config wires the service.
type Config struct {
	Logger     *slog.Logger
	Metrics    *natsrpc.Metrics
	Registerer prometheus.Registerer // nil: no service metrics
	// MasterKey is the 32-byte key-encryption key (see LoadMasterKey).
	MasterKey []byte
}

// Service is a running keys service.
type Service struct {
	nc   *nats.Conn
	rpc  *natsrpc.Service
	pool *pgxpool.Pool
	dk   *dataKeys
	// transport is the service's X25519 key, derived from the master key
	// (see deriveTransportKey).
	transport *ecdh.PrivateKey
	log       *slog.Logger
	metrics   *metrics
}

// Start registers the keys endpoints. The schema must already be migrated
// (see Schema). It refuses a master key that is not 32 bytes, and one other
// than the key that wrapped the stored data keys.
func Start(ctx context.Context, nc *nats.Conn, pool *pgxpool.Pool, cfg Config) (*Service, error) {
	if len(cfg.MasterKey) != masterKeySize {
		return nil, fmt.Errorf("keys: the master key is %d bytes; it must be %d", len(cfg.MasterKey), masterKeySize)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	kek := append([]byte(nil), cfg.MasterKey...)
	if err := checkMasterKey(ctx, pool, kek); err != nil {
		return nil, err
	}
	transport, err := deriveTransportKey(kek)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	rpc, err := natsrpc.NewService(nc, natsrpc.ServiceConfig{
		Name: "gatehouse-keys", Version: "0.1.0",
		Description: "Environment variables, secrets, workflow encryption keys and data encryption",
		Logger:      cfg.Logger, Metrics: cfg.Metrics,
	})
	if err != nil {
		return nil, err
	}
	s := &Service{nc: nc, rpc: rpc, pool: pool, dk: newDataKeys(pool, kek), transport: transport,
		log: cfg.Logger.With("service", "keys"), metrics: m}

	ep := func(name, subject string) natsrpc.EndpointConfig {
		return natsrpc.EndpointConfig{Name: name, Subject: subject, Workers: 8}
	}
	for _, err := range []error{
		natsrpc.Handle(rpc, ep("env_create", api.SubjectEnvCreate), instrument(s, "env_create", s.createEnv)),
		natsrpc.Handle(rpc, ep("env_update", api.SubjectEnvUpdate), instrument(s, "env_update", s.updateEnv)),
		natsrpc.Handle(rpc, ep("env_get", api.SubjectEnvGet), instrument(s, "env_get", s.getEnv)),
		natsrpc.Handle(rpc, ep("env_list", api.SubjectEnvList), instrument(s, "env_list", s.listEnv)),
		natsrpc.Handle(rpc, ep("env_delete", api.SubjectEnvDelete), instrument(s, "env_delete", s.deleteEnv)),
		natsrpc.Handle(rpc, ep("env_resolve", api.SubjectEnvResolve), instrument(s, "env_resolve", s.resolveEnv)),
		natsrpc.Handle(rpc, ep("workflow_key_create", api.SubjectWorkflowKeyCreate), instrument(s, "workflow_key_create", s.createWorkflowKey)),
		natsrpc.Handle(rpc, ep("workflow_key_list", api.SubjectWorkflowKeyList), instrument(s, "workflow_key_list", s.listWorkflowKeys)),
		natsrpc.Handle(rpc, ep("workflow_key_activate", api.SubjectWorkflowKeyActivate), instrument(s, "workflow_key_activate", s.activateWorkflowKey)),
		natsrpc.Handle(rpc, ep("workflow_key_deactivate", api.SubjectWorkflowKeyDeactivate), instrument(s, "workflow_key_deactivate", s.deactivateWorkflowKey)),
		natsrpc.Handle(rpc, ep("workflow_key_delete", api.SubjectWorkflowKeyDelete), instrument(s, "workflow_key_delete", s.deleteWorkflowKey)),
		natsrpc.Handle(rpc, ep("workflow_key_active", api.SubjectWorkflowKeyActive), instrument(s, "workflow_key_active", s.activeWorkflowKey)),
		natsrpc.Handle(rpc, ep("transport_key", api.SubjectTransportKey), instrument(s, "transport_key", s.transportKey)),
		natsrpc.Handle(rpc, ep("data_encrypt", api.SubjectDataEncrypt), instrument(s, "data_encrypt", s.encryptData)),
		natsrpc.Handle(rpc, ep("data_decrypt", api.SubjectDataDecrypt), instrument(s, "data_decrypt", s.decryptData)),
	} {
		if err != nil {
			_ = rpc.Stop(ctx)
			return nil, err
		}
	}
	s.log.Info("keys service started", "master_key_id", s.dk.kekID)
	return s, nil
}

// Stop stops serving, letting requests in flight finish.
func (s *Service) Stop(ctx context.Context) error { return s.rpc.Stop(ctx) }

// announce publishes a change so every worker drops what it cached.
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
		s.log.Warn("could not announce keys change", "env", c.Env, "kind", c.Kind, "key", c.Key, "workflow", c.WorkflowID, "err", err)
	}
}
