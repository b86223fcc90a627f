package logs_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// TestTailSeesPublishedRecords: a live tail is a core subscription; records
// published to the stream reach it, those of other environments do not.
func TestTailSeesPublishedRecords(t *testing.T) {
	nc := natstest.Connect(t, natstest.Start(t))
	sub, err := nc.SubscribeSync(api.TailSubject("dev"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := api.NewPublisher(nc, api.PublisherConfig{Source: "test", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closePublisher(t, p) })

	other := runtimeRecord("exe_prod", "prod", time.Now())
	runtime := runtimeRecord("exe_dev", "dev", time.Now())
	build := api.Record{ID: "log_build", Kind: api.KindBuild, Env: "dev", Time: time.Now().UTC(), Level: "error", Message: "module does not export the ABI version"}
	mustPublish(t, p, other, runtime, build)

	for _, want := range []api.Record{runtime, build} {
		msg := next(t, sub)
		if msg.Subject != api.RecordSubject(want.Kind, "dev") {
			t.Errorf("tail message on %s, want %s", msg.Subject, api.RecordSubject(want.Kind, "dev"))
		}
		got, err := api.DecodeRecords(msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("tail got %+v, want %+v", got, want)
		}
	}
	if msg, err := sub.NextMsg(100 * time.Millisecond); err == nil {
		t.Errorf("tail of dev got a message on %s", msg.Subject)
	}
}

func next(t *testing.T, sub *nats.Subscription) *nats.Msg {
	t.Helper()
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("tail got nothing: %v", err)
	}
	return msg
}
