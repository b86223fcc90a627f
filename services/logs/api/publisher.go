package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Source names the producer in metrics ("worker", "deployments").
	Source string
	// Buffer is how many records may wait to be published (default 65,536).
	// When it is full, Publish drops the record and counts it.
	Buffer int
	// Replicas of the stream if this publisher has to create it.
	Replicas int
	// AckTimeout bounds the wait for one batch's acknowledgements (default 5s).
	AckTimeout time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Publisher sends records to the stream in the background. Publish never
// blocks the caller: a worker's trigger path pays for a channel send, not a
// round trip. Records that JetStream does not acknowledge are retried with
// backoff until it does, or until Close gives up.
type Publisher struct {
	js      jetstream.JetStream
	maxSize int // largest encoded record
	cfg     PublisherConfig
	log     *slog.Logger
	in      chan Record
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	flushBy chan time.Time
	// mu orders Publish before Close: once closed is set no record enters
	// the buffer, so the loop's final drain sees every accepted record.
	mu     sync.RWMutex
	closed bool
	m      publisherMetrics
}

type publisherMetrics struct {
	published prometheus.Counter
	retried   prometheus.Counter
	dropped   *prometheus.CounterVec
	pending   prometheus.GaugeFunc
}

// MaxRecordBytes caps an encoded record; console lines beyond it are
// dropped, and the record says how many.
const MaxRecordBytes = 1 << 20

// encodeRecord encodes r, dropping console lines from the end until it fits
// in limit bytes.
func encodeRecord(r Record, limit int) ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil || len(data) <= limit {
		return data, err
	}
	all := r.Console
	keep := len(all)
	for keep > 0 {
		// Drop at least one line, or about the excess proportion of them.
		keep -= min(keep, max(1, keep*(len(data)-limit)/len(data)+1))
		r.Console = append(all[:keep:keep], ConsoleLine{Level: "warn",
			Text: fmt.Sprintf("[%d console lines dropped: the log record exceeded %d bytes]", len(all)-keep, limit)})
		if data, err = json.Marshal(r); err != nil || len(data) <= limit {
			return data, err
		}
	}
	return nil, fmt.Errorf("log record %s is %d bytes without its console lines, over the %d-byte limit", r.ID, len(data), limit)
}

// maxBatch is how many records are published before waiting for acks.
const maxBatch = 256

// NewPublisher starts a publisher on nc. It creates the stream if it does
// not exist yet, so records published before the logs service first starts
// are kept too; if JetStream is unreachable it tries again before each
// publish.
func NewPublisher(nc *nats.Conn, cfg PublisherConfig) (*Publisher, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("logs publisher: jetstream: %w", err)
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1 << 16
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Source == "" {
		cfg.Source = "unknown"
	}
	maxSize := MaxRecordBytes
	if limit := int(nc.MaxPayload()) - 4<<10; limit > 0 && limit < maxSize {
		maxSize = limit
	}
	p := &Publisher{js: js, maxSize: maxSize, cfg: cfg, log: cfg.Logger.With("component", "logs-publisher", "source", cfg.Source),
		in: make(chan Record, cfg.Buffer), stop: make(chan struct{}), done: make(chan struct{}), flushBy: make(chan time.Time, 1)}
	p.m = newPublisherMetrics(cfg, p)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := p.ensureStream(ctx); err != nil {
		p.log.Warn("log stream not reachable yet; records wait in memory", "stream", Stream, "err", err)
	}
	cancel()
	go p.run()
	return p, nil
}

func newPublisherMetrics(cfg PublisherConfig, p *Publisher) publisherMetrics {
	m := publisherMetrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_logs_published_total",
			Help: "Log records acknowledged by the log stream.", ConstLabels: prometheus.Labels{"source": cfg.Source}}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_logs_publish_retries_total",
			Help: "Log records published again after the stream did not acknowledge them.", ConstLabels: prometheus.Labels{"source": cfg.Source}}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_logs_dropped_total",
			Help: "Log records given up on, by reason (buffer_full, shutdown, encode).", ConstLabels: prometheus.Labels{"source": cfg.Source}}, []string{"reason"}),
		pending: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_logs_publish_buffered",
			Help: "Log records waiting in memory to be published.", ConstLabels: prometheus.Labels{"source": cfg.Source}},
			func() float64 { return float64(len(p.in)) }),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{m.published, m.retried, m.dropped, m.pending} {
			if err := cfg.Registerer.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					cfg.Logger.Warn("logs publisher metrics not registered", "err", err)
				}
			}
		}
	}
	return m
}

// Publish queues r. It returns false, and counts the record as dropped, when
// the buffer is full or the publisher is closed.
func (p *Publisher) Publish(r Record) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		p.m.dropped.WithLabelValues("shutdown").Inc()
		return false
	}
	select {
	case p.in <- r:
		return true
	default:
		p.m.dropped.WithLabelValues("buffer_full").Inc()
		return false
	}
}

// Close stops accepting records and publishes those still buffered until
// ctx ends; what is left then is dropped and counted.
func (p *Publisher) Close(ctx context.Context) error {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = time.Now().Add(10 * time.Second)
		}
		p.flushBy <- deadline
		close(p.stop)
	})
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("logs publisher: %d records not published: %w", len(p.in), ctx.Err())
	}
}

func (p *Publisher) run() {
	defer close(p.done)
	var deadline time.Time // set once Close was called
	backoff := 100 * time.Millisecond
	var retry []Record
	for {
		batch := retry
		retry = nil
		if len(batch) == 0 {
			select {
			case r := <-p.in:
				batch = append(batch, r)
			case <-p.stop:
				if deadline.IsZero() {
					deadline = <-p.flushBy
				}
				select {
				case r := <-p.in:
					batch = append(batch, r)
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-p.in:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		failed := p.send(batch)
		if len(failed) == 0 {
			backoff = 100 * time.Millisecond
			continue
		}
		if deadline.IsZero() {
			select {
			case <-p.stop:
				deadline = <-p.flushBy
			default:
			}
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			n := len(failed) + len(p.in)
			p.m.dropped.WithLabelValues("shutdown").Add(float64(n))
			p.log.Error("log records not published before shutdown", "records", n)
			return
		}
		p.m.retried.Add(float64(len(failed)))
		p.log.Warn("log stream did not acknowledge records; retrying", "records", len(failed), "in", backoff)
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AckTimeout)
		if err := p.ensureStream(ctx); err != nil {
			p.log.Debug("log stream still unreachable", "err", err)
		}
		cancel()
		retry = failed
	}
}

// send publishes a batch and returns the records that were not acknowledged.
func (p *Publisher) send(batch []Record) []Record {
	type inflight struct {
		recs []Record
		f    jetstream.PubAckFuture
	}
	var flights []inflight
	var failed []Record
	for _, m := range p.pack(batch) {
		msg := &nats.Msg{Subject: m.subject, Data: m.data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, m.id)
		f, err := p.js.PublishMsgAsync(msg)
		if err != nil {
			failed = append(failed, m.recs...)
			continue
		}
		flights = append(flights, inflight{m.recs, f})
	}
	timeout := time.NewTimer(p.cfg.AckTimeout)
	defer timeout.Stop()
	for i, fl := range flights {
		select {
		case <-fl.f.Ok():
			p.m.published.Add(float64(len(fl.recs)))
		case <-fl.f.Err():
			failed = append(failed, fl.recs...)
		case <-timeout.C:
			for _, rest := range flights[i:] {
				failed = append(failed, rest.recs...)
			}
			return failed
		}
	}
	return failed
}

// message is one stream message: the records of one subject, as a JSON
// array when there are several.
type message struct {
	subject string
	id      string // Nats-Msg-Id: the record id, or a digest of the ids
	data    []byte
	recs    []Record
}

// pack groups a batch by subject into messages of at most maxSize bytes.
// Under load one message carries many records, which is what keeps the
// stream's per-message work (storage, acks, deliveries) off every execution;
// a lone record still goes out at once, alone.
func (p *Publisher) pack(batch []Record) []message {
	var order []string
	bySubject := map[string][]Record{}
	for _, r := range batch {
		subj := RecordSubject(r.Kind, r.Env)
		if _, ok := bySubject[subj]; !ok {
			order = append(order, subj)
		}
		bySubject[subj] = append(bySubject[subj], r)
	}
	var out []message
	for _, subj := range order {
		var cur message
		flush := func() {
			if len(cur.recs) == 0 {
				return
			}
			cur.subject = subj
			if len(cur.recs) == 1 {
				cur.id = cur.recs[0].ID
				cur.data = cur.data[1 : len(cur.data)-1] // a lone record is a bare object
			} else {
				h := sha256.New()
				for _, r := range cur.recs {
					h.Write([]byte(r.ID))
					h.Write([]byte{0})
				}
				cur.id = "batch-" + hex.EncodeToString(h.Sum(nil)[:16])
			}
			out = append(out, cur)
			cur = message{}
		}
		for _, r := range bySubject[subj] {
			data, err := encodeRecord(r, p.maxSize-2)
			if err != nil {
				p.m.dropped.WithLabelValues("encode").Inc()
				p.log.Error("log record dropped", "id", r.ID, "err", err)
				continue
			}
			if len(cur.recs) > 0 && len(cur.data)+1+len(data)+1 > p.maxSize {
				cur.data = append(cur.data, ']')
				flush()
			}
			if len(cur.recs) == 0 {
				cur.data = append(cur.data, '[')
			} else {
				cur.data = append(cur.data, ',')
			}
			cur.data = append(cur.data, data...)
			cur.recs = append(cur.recs, r)
		}
		if len(cur.recs) > 0 {
			cur.data = append(cur.data, ']')
			flush()
		}
	}
	return out
}

// DecodeRecords reads a stream message: one record (a JSON object) or
// several (a JSON array). Live tails use it.
func DecodeRecords(data []byte) ([]Record, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var rs []Record
		if err := json.Unmarshal(data, &rs); err != nil {
			return nil, err
		}
		return rs, nil
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return []Record{r}, nil
}

// ensureStream creates the stream if it does not exist. An existing stream
// is left as it is: its operator may have tuned it.
func (p *Publisher) ensureStream(ctx context.Context) error {
	_, err := EnsureStream(ctx, p.js, p.cfg.Replicas)
	return err
}

// EnsureStream creates the log stream if it does not exist (used by the logs
// service at start, and by tests).
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, Stream)
	if err == nil {
		return s, nil
	}
	s, err = js.CreateStream(ctx, StreamConfig(replicas))
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return js.Stream(ctx, Stream)
	}
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", Stream, err)
	}
	return s, nil
}
