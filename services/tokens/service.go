package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// Service is a running tokens service.
type Service struct {
	cfg     Config
	nc      *nats.Conn
	rpc     *natsrpc.Service
	store   *pgStore
	keys    *keyring
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time

	sub      *nats.Subscription
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Start registers the tokens endpoints, listens for key changes made by
// other replicas and starts pruning expired records. The schema must already
// be migrated (see Schema), and the keys service must be reachable when the
// first key of an environment is made or a key is first used.
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
		return nil, fmt.Errorf("tokens: %w", err)
	}
	log := cfg.Logger.With("service", "tokens")
	store := &pgStore{pool: pool}
	s := &Service{cfg: cfg, nc: nc, store: store, log: log, metrics: m, now: cfg.Now,
		stop: make(chan struct{}), done: make(chan struct{})}
	s.keys = &keyring{store: store, data: data, defaultAlg: cfg.DefaultAlg, overlap: cfg.KeyOverlap,
		cacheTTL: cfg.KeyCacheTTL, now: cfg.Now, log: log, metrics: m, announce: s.announce,
		byID: map[string]*signingKey{}, active: map[envAlg]activeRef{}}

	s.sub, err = nc.Subscribe(api.EventKeysChanged, func(msg *nats.Msg) {
		var c api.KeysChanged
		if err := json.Unmarshal(msg.Data, &c); err != nil || c.Env == "" {
			s.log.Warn("malformed key change event", "subject", msg.Subject)
			return
		}
		s.keys.invalidate(c.Env)
	})
	if err != nil {
		return nil, fmt.Errorf("tokens: subscribe to %s: %w", api.EventKeysChanged, err)
	}

	rpc, err := natsrpc.NewService(nc, natsrpc.ServiceConfig{
		Name: "gatehouse-tokens", Version: "0.1.0",
		Description: "Token signing, refresh rotation, revocation and introspection",
		Logger:      cfg.Logger, Metrics: cfg.Metrics,
	})
	if err != nil {
		_ = s.sub.Unsubscribe()
		return nil, err
	}
	s.rpc = rpc
	ep := func(name, subject string, workers int) natsrpc.EndpointConfig {
		return natsrpc.EndpointConfig{Name: name, Subject: subject, Workers: workers}
	}
	rotate := ep("rotate_key", api.SubjectRotateKey, 2)
	rotate.Timeout = 30 * time.Second // RSA key generation and the keys service round trip
	for _, err := range []error{
		natsrpc.Handle(rpc, ep("issue", api.SubjectIssue, 16), s.issue),
		natsrpc.Handle(rpc, ep("refresh_begin", api.SubjectRefreshBegin, 16), s.refreshBegin),
		natsrpc.Handle(rpc, ep("revoke", api.SubjectRevoke, 8), s.revoke),
		natsrpc.Handle(rpc, ep("revoke_grant", api.SubjectRevokeGrant, 4), s.revokeGrant),
		natsrpc.Handle(rpc, ep("revoke_subject", api.SubjectRevokeSubject, 4), s.revokeSubject),
		natsrpc.Handle(rpc, ep("introspect", api.SubjectIntrospect, 16), s.introspect),
		natsrpc.Handle(rpc, ep("jwks", api.SubjectJWKS, 8), s.jwks),
		natsrpc.Handle(rpc, rotate, s.rotateKey),
	} {
		if err != nil {
			_ = rpc.Stop(ctx)
			_ = s.sub.Unsubscribe()
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
		err = errors.Join(s.rpc.Stop(ctx), s.sub.Unsubscribe())
		select {
		case <-s.done:
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
		}
	})
	return err
}

// jwks serves api.SubjectJWKS.
func (s *Service) jwks(ctx context.Context, req api.JWKSRequest) (api.JWKS, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.JWKS{}, err
	}
	return s.keys.published(ctx, req.Env)
}

// rotateKey serves api.SubjectRotateKey.
func (s *Service) rotateKey(ctx context.Context, req api.RotateKeyRequest) (api.RotateKeyResponse, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.RotateKeyResponse{}, err
	}
	var keys []*signingKey
	switch req.Alg {
	case "":
		var err error
		if keys, err = s.keys.rotateAll(ctx, req.Env); err != nil {
			return api.RotateKeyResponse{}, err
		}
	case api.AlgES256, api.AlgRS256:
		key, err := s.keys.rotate(ctx, req.Env, req.Alg)
		if err != nil {
			return api.RotateKeyResponse{}, err
		}
		keys = append(keys, key)
	default:
		return api.RotateKeyResponse{}, invalid("alg %q is not supported: use %s or %s", req.Alg, api.AlgES256, api.AlgRS256)
	}
	resp := api.RotateKeyResponse{Keys: make([]api.SigningKey, 0, len(keys))}
	for _, k := range keys {
		resp.Keys = append(resp.Keys, s.keys.describe(k))
	}
	return resp, nil
}

// announce tells every replica and the frontdoor that env's keys changed.
func (s *Service) announce(env string) {
	data, err := json.Marshal(api.KeysChanged{Env: env})
	if err == nil {
		err = s.nc.Publish(api.EventKeysChanged, data)
	}
	if err != nil {
		s.log.Warn("could not announce a signing key change", "env", env, "err", err)
	}
}

// pruneLoop deletes expired records every PruneInterval until Stop.
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

// pruneMargin keeps records a little past their expiry, for replicas whose
// clocks lag.
const pruneMargin = time.Minute

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
	n, err := s.store.prune(ctx, s.now().Add(-pruneMargin))
	if err != nil {
		s.log.Warn("pruning expired tokens failed", "err", err)
		return
	}
	if n > 0 {
		s.log.Info("expired tokens pruned", "records", n)
	}
}
