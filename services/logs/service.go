package logs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// Service is a running logs service: the stream consumer that stores
// records, the query endpoint and the retention job.
type Service struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	rpc   *natsrpc.Service
	store *pgStore
	cfg   Config
	log   *slog.Logger
	m     *metrics

	consMu sync.Mutex
	cons   jetstream.Consumer

	// running is cancelled by Stop: no new batch is fetched and the
	// retention job ends. abort is cancelled when Stop gives up waiting: a
	// batch still not written is then handed back to the stream.
	running     context.Context
	stopRunning context.CancelFunc
	abort       context.Context
	stopAbort   context.CancelFunc
	wg          sync.WaitGroup
	stopOnce    sync.Once
	stopErr     error
}

// Start creates the log stream and the durable consumer if they do not
// exist, then starts storing records, serving api.SubjectQuery and deleting
// old records. The schema must already be migrated (see Schema).
func Start(ctx context.Context, nc *nats.Conn, pool *pgxpool.Pool, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("logs: jetstream: %w", err)
	}
	s := &Service{nc: nc, js: js, store: &pgStore{pool: pool}, cfg: cfg,
		log: cfg.Logger.With("service", "logs")}
	if err := s.ensureConsumer(ctx); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	s.m, err = newMetrics(cfg.Registerer, s.pending)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	s.rpc, err = natsrpc.NewService(nc, natsrpc.ServiceConfig{
		Name: "gatehouse-logs", Version: "0.1.0",
		Description: "Workflow runtime, build and sync logs: storage and queries",
		Logger:      cfg.Logger, Metrics: cfg.Metrics,
	})
	if err != nil {
		s.m.unregister()
		return nil, fmt.Errorf("logs: %w", err)
	}
	if err := natsrpc.Handle(s.rpc, natsrpc.EndpointConfig{Name: "query", Subject: api.SubjectQuery, Workers: 8}, s.query); err != nil {
		_ = s.rpc.Stop(ctx)
		s.m.unregister()
		return nil, fmt.Errorf("logs: %w", err)
	}
	s.running, s.stopRunning = context.WithCancel(context.Background())
	s.abort, s.stopAbort = context.WithCancel(context.Background())
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.consume() }()
	go func() { defer s.wg.Done(); s.retain() }()
	return s, nil
}

// Stop stops fetching records, writes and acknowledges the batch in hand,
// and stops the query endpoint and the retention job. When ctx ends first, a
// batch not yet written is handed back to the stream (it is redelivered) and
// Stop returns ctx's error.
func (s *Service) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.stopRunning()
		rpcErr := s.rpc.Stop(ctx)
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		var waitErr error
		select {
		case <-done:
		case <-ctx.Done():
			s.stopAbort()
			<-done
			waitErr = fmt.Errorf("logs: stop: %w", ctx.Err())
		}
		s.stopAbort()
		s.m.unregister()
		s.stopErr = errors.Join(rpcErr, waitErr)
	})
	return s.stopErr
}

// pending is the number of records in the stream not yet stored.
func (s *Service) pending(ctx context.Context) (float64, error) {
	info, err := s.consumer().Info(ctx)
	if err != nil {
		return 0, err
	}
	return float64(info.NumPending) + float64(info.NumAckPending), nil
}
