package natsrpc

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// DeadlineHeader carries the caller's deadline in Unix nanoseconds.
const DeadlineHeader = "Gatehouse-Deadline"

// EndpointConfig configures one endpoint.
type EndpointConfig struct {
	Name       string        // endpoint name, e.g. "upload"
	Subject    string        // full subject, e.g. "gatehouse.deployments.upload"
	QueueGroup string        // default: micro's default queue group
	Workers    int           // concurrent handlers; default 2×GOMAXPROCS
	Queue      int           // requests waiting for a worker before shedding; default 4×Workers
	Timeout    time.Duration // cap on a request's deadline; default 10s
	// OnRefused, if set, is told about every request refused without being
	// served: shed because the queue was full, or queued past the caller's
	// deadline. It runs on the subscription goroutine and must not block.
	OnRefused func(subject string, code Code)
}

type endpoint struct {
	svc   *Service
	cfg   EndpointConfig
	serve func(ctx context.Context, req micro.Request) ([]byte, error)

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan micro.Request
}

type subjectKey struct{}

// Subject returns the subject the current request arrived on.
func Subject(ctx context.Context) string {
	s, _ := ctx.Value(subjectKey{}).(string)
	return s
}

// Handle registers a typed endpoint: the request is JSON-decoded into Req
// (a decode failure is CodeInvalidArgument), h runs on the endpoint's pool
// under the request's deadline, and its Resp is JSON-encoded as the reply.
func Handle[Req, Resp any](s *Service, cfg EndpointConfig, h func(ctx context.Context, req Req) (Resp, error)) error {
	return HandleRaw(s, cfg, func(ctx context.Context, data []byte) ([]byte, error) {
		var req Req
		if len(data) > 0 {
			if err := json.Unmarshal(data, &req); err != nil {
				return nil, Errorf(CodeInvalidArgument, "request is not valid JSON for %s: %v", cfg.Name, err)
			}
		}
		resp, err := h(ctx, req)
		if err != nil {
			return nil, err
		}
		out, err := json.Marshal(resp)
		if err != nil {
			return nil, fmt.Errorf("encode %s reply: %w", cfg.Name, err)
		}
		return out, nil
	})
}

// HandleRaw registers an endpoint whose handler works on raw bytes.
func HandleRaw(s *Service, cfg EndpointConfig, h func(ctx context.Context, data []byte) ([]byte, error)) error {
	if cfg.Name == "" || cfg.Subject == "" {
		return fmt.Errorf("natsrpc: endpoint needs a name and a subject")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 4 * cfg.Workers
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	ep := &endpoint{svc: s, cfg: cfg, queue: make(chan micro.Request, cfg.Queue)}
	ep.serve = func(ctx context.Context, req micro.Request) ([]byte, error) { return h(ctx, req.Data()) }

	opts := []micro.EndpointOpt{micro.WithEndpointSubject(cfg.Subject)}
	if cfg.QueueGroup != "" {
		opts = append(opts, micro.WithEndpointQueueGroup(cfg.QueueGroup))
	}
	if err := s.svc.AddEndpoint(cfg.Name, micro.HandlerFunc(ep.enqueue), opts...); err != nil {
		return fmt.Errorf("natsrpc: add endpoint %s: %w", cfg.Name, err)
	}
	s.mu.Lock()
	s.endpoints = append(s.endpoints, ep)
	s.mu.Unlock()
	for range cfg.Workers {
		s.wg.Add(1)
		go ep.work()
	}
	return nil
}

// enqueue runs on micro's subscription goroutine: it must never block.
func (ep *endpoint) enqueue(req micro.Request) {
	ep.mu.RLock()
	defer ep.mu.RUnlock()
	if ep.closed {
		ep.reply(req, nil, Errorf(CodeUnavailable, "%s is shutting down", ep.cfg.Name), time.Now())
		return
	}
	select {
	case ep.queue <- req:
	default:
		ep.svc.metrics.shed(ep.svc.name, ep.cfg.Name)
		if ep.cfg.OnRefused != nil {
			ep.cfg.OnRefused(req.Subject(), CodeOverloaded)
		}
		ep.reply(req, nil, Errorf(CodeOverloaded, "%s is at capacity (%d running, %d queued); retry with backoff",
			ep.cfg.Name, ep.cfg.Workers, ep.cfg.Queue), time.Now())
	}
}

func (ep *endpoint) work() {
	defer ep.svc.wg.Done()
	for req := range ep.queue {
		ep.handle(req)
	}
}

func (ep *endpoint) handle(req micro.Request) {
	start := time.Now()
	deadline := start.Add(ep.cfg.Timeout)
	if v := req.Headers().Get(DeadlineHeader); v != "" {
		if ns, err := strconv.ParseInt(v, 10, 64); err == nil {
			if d := time.Unix(0, ns); d.Before(deadline) {
				deadline = d
			}
		}
	}
	if !start.Before(deadline) {
		if ep.cfg.OnRefused != nil {
			ep.cfg.OnRefused(req.Subject(), CodeDeadlineExceeded)
		}
		ep.reply(req, nil, Errorf(CodeDeadlineExceeded, "%s: the caller's deadline passed before the request was served", ep.cfg.Name), start)
		return
	}
	ctx, cancel := context.WithDeadline(ep.svc.ctx, deadline)
	ctx = context.WithValue(ctx, subjectKey{}, req.Subject())
	out, err := ep.safeServe(ctx, req)
	cancel()
	ep.reply(req, out, err, start)
}

func (ep *endpoint) safeServe(ctx context.Context, req micro.Request) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			ep.svc.log.Error("handler panic", "endpoint", ep.cfg.Name, "panic", r, "stack", string(debug.Stack()))
			out, err = nil, Errorf(CodeInternal, "internal error")
		}
	}()
	return ep.serve(ctx, req)
}

// reply is the one place that writes replies and errors. It publishes to the
// request's reply subject itself rather than through micro's Respond: micro
// reads its own per-request bookkeeping as soon as the subscription handler
// returns, while our pool may still be working, and writing it from another
// goroutine would race. (micro's $SRV.STATS therefore counts enqueueing; the
// Prometheus metrics below measure the real work.)
func (ep *endpoint) reply(req micro.Request, out []byte, err error, start time.Time) {
	code := Code("ok")
	msg := &nats.Msg{Subject: req.Reply(), Data: out}
	if err != nil {
		c, text := toWire(err)
		code = c
		if c == CodeInternal {
			ep.svc.log.Error("request failed", "endpoint", ep.cfg.Name, "err", err)
		}
		msg.Data = nil
		msg.Header = nats.Header{}
		msg.Header.Set(micro.ErrorCodeHeader, string(c))
		msg.Header.Set(micro.ErrorHeader, text)
	}
	if msg.Subject == "" {
		ep.svc.log.Warn("request without a reply subject dropped", "endpoint", ep.cfg.Name)
	} else if perr := ep.svc.nc.PublishMsg(msg); perr != nil {
		ep.svc.log.Warn("reply failed", "endpoint", ep.cfg.Name, "err", perr)
	}
	ep.svc.metrics.observe(ep.svc.name, ep.cfg.Name, string(code), time.Since(start))
}

func (ep *endpoint) close() {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if !ep.closed {
		ep.closed = true
		close(ep.queue)
	}
}
