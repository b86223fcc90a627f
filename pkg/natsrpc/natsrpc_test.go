package natsrpc_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gatehouse-id/gatehouse/pkg/embednats"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

func connect(t *testing.T) *nats.Conn {
	t.Helper()
	srv, err := embednats.Start(context.Background(), embednats.Options{StoreDir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

type echoReq struct{ Text string }
type echoResp struct{ Upper string }

func newService(t *testing.T, nc *nats.Conn, m *natsrpc.Metrics) *natsrpc.Service {
	t.Helper()
	s, err := natsrpc.NewService(nc, natsrpc.ServiceConfig{Name: "test-svc", Version: "0.0.1", Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func TestTypedCallAndErrorsCrossTheWire(t *testing.T) {
	nc := connect(t)
	s := newService(t, nc, nil)
	err := natsrpc.Handle(s, natsrpc.EndpointConfig{Name: "echo", Subject: "t.echo"}, func(ctx context.Context, r echoReq) (echoResp, error) {
		switch r.Text {
		case "":
			return echoResp{}, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "text is required")
		case "secret":
			return echoResp{}, errors.New("db password=hunter2 rejected")
		case "panic":
			panic("boom")
		}
		if natsrpc.Subject(ctx) != "t.echo" {
			return echoResp{}, errors.New("subject not in context")
		}
		return echoResp{Upper: strings.ToUpper(r.Text)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := natsrpc.Call[echoReq, echoResp](ctx, nc, "t.echo", echoReq{Text: "hi"})
	if err != nil || got.Upper != "HI" {
		t.Fatalf("got %+v, %v", got, err)
	}
	_, err = natsrpc.Call[echoReq, echoResp](ctx, nc, "t.echo", echoReq{})
	var e *natsrpc.Error
	if !errors.As(err, &e) || e.Code != natsrpc.CodeInvalidArgument || e.Message != "text is required" {
		t.Fatalf("want invalid_argument, got %v", err)
	}
	// Unexpected errors are internal and do not leak their text.
	_, err = natsrpc.Call[echoReq, echoResp](ctx, nc, "t.echo", echoReq{Text: "secret"})
	if natsrpc.CodeOf(err) != natsrpc.CodeInternal || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("want opaque internal error, got %v", err)
	}
	// A panic still gets a reply, and the endpoint keeps serving.
	_, err = natsrpc.Call[echoReq, echoResp](ctx, nc, "t.echo", echoReq{Text: "panic"})
	if natsrpc.CodeOf(err) != natsrpc.CodeInternal {
		t.Fatalf("want internal after panic, got %v", err)
	}
	if got, err := natsrpc.Call[echoReq, echoResp](ctx, nc, "t.echo", echoReq{Text: "again"}); err != nil || got.Upper != "AGAIN" {
		t.Fatalf("endpoint did not survive the panic: %+v %v", got, err)
	}
	// Malformed JSON is the caller's fault.
	_, err = natsrpc.CallRaw(ctx, nc, "t.echo", []byte("{not json"))
	if natsrpc.CodeOf(err) != natsrpc.CodeInvalidArgument {
		t.Fatalf("want invalid_argument for bad JSON, got %v", err)
	}
}

func TestNoResponderIsUnavailable(t *testing.T) {
	nc := connect(t)
	_, err := natsrpc.CallRaw(context.Background(), nc, "nobody.home", nil)
	if natsrpc.CodeOf(err) != natsrpc.CodeUnavailable {
		t.Fatalf("want unavailable, got %v", err)
	}
}

func TestDeadlineReachesTheHandler(t *testing.T) {
	nc := connect(t)
	s := newService(t, nc, nil)
	seen := make(chan time.Duration, 1)
	_ = natsrpc.Handle(s, natsrpc.EndpointConfig{Name: "slow", Subject: "t.slow", Timeout: time.Minute},
		func(ctx context.Context, _ echoReq) (echoResp, error) {
			dl, _ := ctx.Deadline()
			seen <- time.Until(dl)
			<-ctx.Done()
			return echoResp{}, ctx.Err()
		})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := natsrpc.Call[echoReq, echoResp](ctx, nc, "t.slow", echoReq{})
	if natsrpc.CodeOf(err) != natsrpc.CodeDeadlineExceeded {
		t.Fatalf("want deadline_exceeded, got %v", err)
	}
	if left := <-seen; left > 250*time.Millisecond {
		t.Fatalf("handler deadline was %v away; the caller's 200ms deadline was not propagated", left)
	}
}

func TestFullPoolShedsWithoutQueueingForever(t *testing.T) {
	nc := connect(t)
	reg := prometheus.NewRegistry()
	s := newService(t, nc, natsrpc.NewMetrics(reg))
	release := make(chan struct{})
	var running, refused atomic.Int32
	onRefused := func(subject string, code natsrpc.Code) {
		if subject == "t.busy" && code == natsrpc.CodeOverloaded {
			refused.Add(1)
		}
	}
	_ = natsrpc.Handle(s, natsrpc.EndpointConfig{Name: "busy", Subject: "t.busy", Workers: 2, Queue: 2, OnRefused: onRefused},
		func(ctx context.Context, _ echoReq) (echoResp, error) {
			running.Add(1)
			<-release
			return echoResp{Upper: "done"}, nil
		})
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, errs[i] = natsrpc.Call[echoReq, echoResp](ctx, nc, "t.busy", echoReq{})
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(mustCounter(t, reg)) < n-4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	var ok, shed int
	for _, err := range errs {
		switch natsrpc.CodeOf(err) {
		case "":
			ok++
		case natsrpc.CodeOverloaded:
			shed++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 4 || shed != n-4 {
		t.Fatalf("ok=%d shed=%d; want 4 served (2 running + 2 queued) and %d shed", ok, shed, n-4)
	}
	if running.Load() != 4 {
		t.Fatalf("handler ran %d times, want 4", running.Load())
	}
	if refused.Load() != n-4 {
		t.Fatalf("OnRefused saw %d sheds, want %d", refused.Load(), n-4)
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gatehouse_rpc_shed_total" && len(mf.Metric) > 0 {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x"}, func() float64 { return mf.Metric[0].Counter.GetValue() })
		}
	}
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x"}, func() float64 { return 0 })
}
