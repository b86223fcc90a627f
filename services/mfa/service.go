package mfa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Service is a running MFA service.
type Service struct {
	cfg     Config
	rpc     *natsrpc.Service
	store   *pgStore
	data    *kapi.DataClient
	codes   *codeKeys
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Start registers the MFA endpoints and starts pruning old challenges,
// send records and abandoned unverified factors. The schema must already
// be migrated (see Schema), and the keys service must be reachable when a
// TOTP factor is enrolled or verified and when an environment's first code
// is hashed.
func Start(ctx context.Context, nc *nats.Conn, pool *pgxpool.Pool, cfg Config) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	data, err := kapi.NewDataClient(nc)
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	store := &pgStore{pool: pool}
	s := &Service{cfg: cfg, store: store, data: data, codes: &codeKeys{store: store, data: data, keys: map[string][]byte{}},
		log: cfg.Logger.With("service", "mfa"), metrics: m, now: cfg.Now,
		stop: make(chan struct{}), done: make(chan struct{})}

	rpc, err := natsrpc.NewService(nc, natsrpc.ServiceConfig{
		Name: "gatehouse-mfa", Version: "0.1.0",
		Description: "Second factors, challenges and verification, MFA policies and enrollment stats",
		Logger:      cfg.Logger, Metrics: cfg.Metrics,
	})
	if err != nil {
		return nil, err
	}
	s.rpc = rpc
	ep := func(name, subject string, workers int) natsrpc.EndpointConfig {
		return natsrpc.EndpointConfig{Name: name, Subject: subject, Workers: workers}
	}
	challenge := ep("challenge", api.SubjectChallenge, 8)
	// Delivery is retried with backoff before delivery_failed.
	challenge.Timeout = 60 * time.Second
	for _, err := range []error{
		natsrpc.Handle(rpc, ep("enroll", api.SubjectEnroll, 4), s.enroll),
		natsrpc.Handle(rpc, ep("factors", api.SubjectFactors, 8), s.listFactors),
		natsrpc.Handle(rpc, ep("delete_factor", api.SubjectDeleteFactor, 4), s.deleteFactor),
		natsrpc.Handle(rpc, challenge, s.challenge),
		natsrpc.Handle(rpc, ep("verify", api.SubjectVerify, 8), s.verify),
		natsrpc.Handle(rpc, ep("generate_backup_codes", api.SubjectGenerateBackupCodes, 4), s.generateBackupCodes),
		natsrpc.Handle(rpc, ep("verify_backup_code", api.SubjectVerifyBackupCode, 8), s.verifyBackupCode),
		natsrpc.Handle(rpc, ep("reset", api.SubjectReset, 2), s.reset),
		natsrpc.Handle(rpc, ep("context", api.SubjectContext, 16), s.context),
		natsrpc.Handle(rpc, ep("get_policy", api.SubjectGetPolicy, 4), s.getPolicy),
		natsrpc.Handle(rpc, ep("set_policy", api.SubjectSetPolicy, 2), s.setPolicy),
		natsrpc.Handle(rpc, ep("get_org_policy", api.SubjectGetOrgPolicy, 4), s.getOrgPolicy),
		natsrpc.Handle(rpc, ep("set_org_policy", api.SubjectSetOrgPolicy, 2), s.setOrgPolicy),
		natsrpc.Handle(rpc, ep("delete_org_policy", api.SubjectDeleteOrgPolicy, 2), s.deleteOrgPolicy),
		natsrpc.Handle(rpc, ep("stats", api.SubjectStats, 2), s.stats),
	} {
		if err != nil {
			_ = rpc.Stop(ctx)
			return nil, err
		}
	}
	go s.pruneLoop()
	return s, nil
}

// Stop stops serving, letting requests in flight finish (or ctx expire), and
// stops pruning.
func (s *Service) Stop(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() {
		close(s.stop)
		err = s.rpc.Stop(ctx)
		select {
		case <-s.done:
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
		}
	})
	return err
}

// challengeRetention is how long challenges are kept after they were made
// (well past api.ChallengeTTL: a verify of an old one says expired, not
// not found, for a while).
const challengeRetention = 24 * time.Hour

// pruneLoop deletes old challenges and send records, and factors never
// verified within UnverifiedFactorTTL, every PruneInterval until Stop.
func (s *Service) pruneLoop() {
	defer close(s.done)
	if s.cfg.PruneInterval < 0 {
		<-s.stop
		return
	}
	t := time.NewTicker(s.cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.pruneOnce()
		}
	}
}

func (s *Service) pruneOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	now := s.now()
	n, err := s.store.prune(ctx, now.Add(-challengeRetention), now.Add(-max(s.cfg.DestinationWindow, s.cfg.UserSendWindow)))
	if err != nil {
		s.log.Warn("pruning old challenges failed", "err", err)
	} else if n > 0 {
		s.log.Info("old challenges and send records pruned", "records", n)
	}
	f, err := s.store.pruneUnverified(ctx, now.Add(-s.cfg.UnverifiedFactorTTL))
	if err != nil {
		s.log.Warn("pruning abandoned unverified factors failed", "err", err, "factors", f)
	} else if f > 0 {
		s.log.Info("abandoned unverified factors pruned", "factors", f, "older_than", s.cfg.UnverifiedFactorTTL.String())
	}
}
