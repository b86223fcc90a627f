package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/testlog"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

func setup(t *testing.T) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc := natstest.Connect(t, natstest.Start(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func newPublisher(t *testing.T, nc *nats.Conn, cfg api.PublisherConfig) (*api.Publisher, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Source, cfg.Registerer, cfg.Logger = "test", reg, testLogger(t)
	p, err := api.NewPublisher(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p, reg
}

func record(i int) api.Record {
	return api.Record{ID: fmt.Sprintf("exe_%05d", i), Kind: api.KindRuntime, Env: "dev",
		Time: time.Now().UTC(), Outcome: api.OutcomeOK}
}

// streamMessages returns how many records the stream's messages hold (0
// when it does not exist): a message carries one record or an array of them.
func streamMessages(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, api.Stream)
	if err != nil {
		return 0
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		return 0
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var records uint64
	for got := uint64(0); got < info.State.Msgs; {
		batch, err := c.Fetch(int(info.State.Msgs-got), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			rs, err := api.DecodeRecords(m.Data())
			if err != nil {
				t.Fatalf("message on %s: %v", m.Subject(), err)
			}
			records += uint64(len(rs))
			n++
		}
		if n == 0 {
			t.Fatalf("read %d of %d messages", got, info.State.Msgs)
		}
		got += uint64(n)
	}
	return records
}

func waitMessages(t *testing.T, js jetstream.JetStream, n uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := streamMessages(t, js)
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			t.Fatalf("stream holds %d records, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func metric(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			for _, lp := range m.GetLabel() {
				if label == "" || (lp.GetName() == label && lp.GetValue() == value) {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestPublisherCreatesTheStream(t *testing.T) {
	nc, js := setup(t)
	p, _ := newPublisher(t, nc, api.PublisherConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, api.Stream)
	if err != nil {
		t.Fatalf("stream not created by NewPublisher: %v", err)
	}
	if got := s.CachedInfo().Config.Subjects; len(got) != 1 || got[0] != api.RecordPrefix+".>" {
		t.Errorf("stream subjects %v", got)
	}
	if !p.Publish(record(1)) {
		t.Fatal("record dropped")
	}
	waitMessages(t, js, 1)
}

// TestRecordsPublishedWithoutAStreamAreKept: the stream disappears (an
// operator deleted it, JetStream lost it); the publisher keeps the records,
// creates the stream again and publishes them, each once.
func TestRecordsPublishedWithoutAStreamAreKept(t *testing.T) {
	nc, js := setup(t)
	p, reg := newPublisher(t, nc, api.PublisherConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, api.Stream); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		if !p.Publish(record(i)) {
			t.Fatalf("record %d dropped", i)
		}
	}
	waitMessages(t, js, n)
	if got := metric(t, reg, "gatehouse_logs_published_total", "", ""); got != n {
		t.Errorf("published = %v, want %d", got, n)
	}
	if got := metric(t, reg, "gatehouse_logs_publish_retries_total", "", ""); got == 0 {
		t.Error("no retry counted, yet the first attempt had no stream")
	}
}

func TestCloseFlushesBufferedRecords(t *testing.T) {
	nc, js := setup(t)
	p, reg := newPublisher(t, nc, api.PublisherConfig{})
	const n = 3000
	for i := range n {
		if !p.Publish(record(i)) {
			t.Fatalf("record %d dropped", i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := streamMessages(t, js); got != n {
		t.Fatalf("stream holds %d records after Close, want %d", got, n)
	}
	if p.Publish(record(n)) {
		t.Error("Publish after Close accepted a record")
	}
	if got := metric(t, reg, "gatehouse_logs_dropped_total", "reason", "shutdown"); got != 1 {
		t.Errorf("dropped{shutdown} = %v, want 1", got)
	}
}

// TestFullBufferDropsAndCounts: while the stream does not take records (it
// exists but, as an operator configured it, captures other subjects), the
// buffer fills up; Publish then returns false at once and counts the drop.
// Every record it accepted is published once the stream takes them.
func TestFullBufferDropsAndCounts(t *testing.T) {
	nc, js := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := api.StreamConfig(1)
	cfg.Subjects = []string{"elsewhere.>"}
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	p, reg := newPublisher(t, nc, api.PublisherConfig{Buffer: 8})
	accepted, dropped := 0, 0
	start := time.Now()
	for i := range 1000 {
		if p.Publish(record(i)) {
			accepted++
		} else {
			dropped++
		}
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("1,000 Publish calls took %v: Publish must not block", elapsed)
	}
	if dropped == 0 {
		t.Fatal("no record dropped with a buffer of 8 and no stream taking records")
	}
	if got := metric(t, reg, "gatehouse_logs_dropped_total", "reason", "buffer_full"); got != float64(dropped) {
		t.Errorf("dropped{buffer_full} = %v, want %d", got, dropped)
	}
	cfg.Subjects = []string{api.RecordPrefix + ".>"}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, js, uint64(accepted))
}

// testLogger writes warnings to the test log until the test cleans up.
func testLogger(t *testing.T) *slog.Logger { return testlog.New(t, slog.LevelWarn) }
