package natstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/natstest"
)

func TestServerWithJetStream(t *testing.T) {
	s := natstest.Start(t)
	nc := natstest.Connect(t, s)
	if _, err := nc.Subscribe("echo", func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
		t.Fatal(err)
	}
	reply, err := nc.Request("echo", []byte("x"), 2*time.Second)
	if err != nil || string(reply.Data) != "x" {
		t.Fatalf("request: %v, %v", reply, err)
	}
	ctx := context.Background()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatalf("JetStream not available: %v", err)
	}
}

func TestServersAreIndependent(t *testing.T) {
	a, b := natstest.Start(t), natstest.Start(t)
	if a.ClientURL() == b.ClientURL() {
		t.Fatalf("two servers share %s", a.ClientURL())
	}
	nb := natstest.Connect(t, b)
	sub, err := nb.SubscribeSync("x")
	if err != nil {
		t.Fatal(err)
	}
	if err := nb.Flush(); err != nil {
		t.Fatal(err)
	}
	na := natstest.Connect(t, a)
	if err := na.Publish("x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := na.Flush(); err != nil {
		t.Fatal(err)
	}
	if msg, err := sub.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("message crossed servers: %q", msg.Data)
	}
}

func TestShutdownAtCleanup(t *testing.T) {
	var (
		nc  *nats.Conn
		url string
	)
	t.Run("inner", func(t *testing.T) {
		s := natstest.Start(t)
		url = s.ClientURL()
		nc = natstest.Connect(t, s)
	})
	if !nc.IsClosed() {
		t.Fatal("connection still open after the test ended")
	}
	if c, err := nats.Connect(url, nats.Timeout(time.Second)); err == nil {
		c.Close()
		t.Fatalf("server at %s still accepts connections after the test ended", url)
	}
}
