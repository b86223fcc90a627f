package natsrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// ServiceConfig names a service.
type ServiceConfig struct {
	Name        string // micro service name, e.g. "gatehouse-deployments"
	Version     string // semver, e.g. "0.1.0"
	Description string
	Logger      *slog.Logger
	Metrics     *Metrics // nil: no metrics
}

// Service is one micro service and its endpoints' worker pools.
type Service struct {
	nc      *nats.Conn
	svc     micro.Service
	name    string
	log     *slog.Logger
	metrics *Metrics

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	endpoints []*endpoint
}

// NewService registers the service with micro (one AddService per service).
func NewService(nc *nats.Conn, cfg ServiceConfig) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        cfg.Name,
		Version:     cfg.Version,
		Description: cfg.Description,
	})
	if err != nil {
		return nil, fmt.Errorf("natsrpc: add service %s: %w", cfg.Name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		nc: nc, svc: svc, name: cfg.Name, metrics: cfg.Metrics,
		log: cfg.Logger.With("service", cfg.Name), ctx: ctx, cancel: cancel,
	}, nil
}

// Conn returns the service's NATS connection.
func (s *Service) Conn() *nats.Conn { return s.nc }

// Stop unsubscribes every endpoint, lets queued and running requests finish
// (or ctx expire), then stops the workers.
func (s *Service) Stop(ctx context.Context) error {
	err := s.svc.Stop()
	s.mu.Lock()
	for _, ep := range s.endpoints {
		ep.close()
	}
	s.endpoints = nil
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.cancel()
		<-done
		err = errors.Join(err, fmt.Errorf("natsrpc: stop %s: %w", s.name, ctx.Err()))
	}
	s.cancel()
	return err
}
