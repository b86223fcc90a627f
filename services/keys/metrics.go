package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// metrics counts operations by outcome: "ok" or the error code.
type metrics struct {
	ops *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	ops := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_keys_operations_total",
		Help: "Keys service operations, by operation and outcome (ok or the error code).",
	}, []string{"op", "outcome"})
	if reg != nil {
		if err := reg.Register(ops); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return nil, fmt.Errorf("keys: register metrics: %w", err)
			}
			existing, ok := already.ExistingCollector.(*prometheus.CounterVec)
			if !ok {
				return nil, fmt.Errorf("keys: register metrics: %w", err)
			}
			ops = existing
		}
	}
	return &metrics{ops: ops}, nil
}

// instrument counts every outcome of h under op.
func instrument[Req, Resp any](s *Service, op string, h func(context.Context, Req) (Resp, error)) func(context.Context, Req) (Resp, error) {
	return func(ctx context.Context, req Req) (Resp, error) {
		resp, err := h(ctx, req)
		outcome := "ok"
		if err != nil {
			outcome = string(natsrpc.CodeOf(err))
		}
		s.metrics.ops.WithLabelValues(op, outcome).Inc()
		return resp, err
	}
}
