package logs_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

func TestRecordsPublishedWhileServiceIsDownAreStoredOnce(t *testing.T) {
	h := newHarness(t)
	s := h.start(logs.Config{})
	stop(t, s) // the consumer exists; the service is gone

	p := h.publisher()
	const n = 1000
	base := time.Now().Add(-time.Minute)
	want := map[string]bool{}
	for i := range n {
		r := runtimeRecord(id("exe_outage", i), "dev", base.Add(time.Duration(i)*time.Millisecond))
		want[r.ID] = true
		mustPublish(t, p, r)
	}
	closePublisher(t, p)
	if rows, _ := count(t, h.pool); rows != 0 {
		t.Fatalf("%d records stored while the service was stopped", rows)
	}

	h.start(logs.Config{})
	waitStored(t, h.pool, n)
	got := storedIDs(t, h.pool)
	for id, c := range got {
		if !want[id] || c != 1 {
			t.Errorf("record %s stored %d times (expected: %v)", id, c, want[id])
		}
	}
	h.waitDrained()
}

func TestSameRecordPublishedTwiceIsStoredOnce(t *testing.T) {
	h := newHarness(t)
	h.start(logs.Config{})
	r := runtimeRecord("exe_twice", "dev", time.Now())
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Two message ids, so the stream's own deduplication does not apply.
	for _, msgID := range []string{"first", "second"} {
		msg := &nats.Msg{Subject: api.RecordSubject(r.Kind, r.Env), Data: data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, msgID)
		if _, err := h.js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	// A third record tells when the two before it were handled.
	mustPublish(t, h.publisher(), runtimeRecord("exe_after", "dev", time.Now()))
	waitStored(t, h.pool, 2)
	h.waitDrained()
	if got := storedIDs(t, h.pool)["exe_twice"]; got != 1 {
		t.Fatalf("record stored %d times", got)
	}
	if got := counter(t, h.reg, "gatehouse_logs_duplicates_total"); got != 1 {
		t.Errorf("duplicates = %v, want 1", got)
	}
}

// TestRedeliveredRecordsAreSkipped replays the whole stream to the service:
// every message is delivered again after its record was stored, as happens
// when the service dies between the commit and the acknowledgement.
func TestRedeliveredRecordsAreSkipped(t *testing.T) {
	h := newHarness(t)
	s := h.start(logs.Config{})
	p := h.publisher()
	const n = 300
	for i := range n {
		mustPublish(t, p, runtimeRecord(id("exe_replay", i), "dev", time.Now()))
	}
	waitStored(t, h.pool, n)
	h.waitDrained()
	var firstIngested time.Time
	if err := h.pool.QueryRow(context.Background(), `SELECT max(ingested_at) FROM logs.records`).Scan(&firstIngested); err != nil {
		t.Fatal(err)
	}
	stop(t, s)

	// Forget what was acknowledged: the new consumer starts from the
	// beginning of the stream, which still holds every record.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.js.DeleteConsumer(ctx, api.Stream, "gatehouse-logs-writer"); err != nil {
		t.Fatal(err)
	}
	h.start(logs.Config{})
	info := h.waitDrained()
	sinfo, err := h.js.Stream(ctx, api.Stream)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sinfo.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The publisher packs records; every message of the stream is replayed.
	if info.Delivered.Consumer < st.State.Msgs || st.State.Msgs == 0 {
		t.Fatalf("consumer delivered %d messages, want the %d in the stream replayed", info.Delivered.Consumer, st.State.Msgs)
	}
	waitStored(t, h.pool, n)
	var rewritten int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM logs.records WHERE ingested_at > $1`, firstIngested).Scan(&rewritten); err != nil {
		t.Fatal(err)
	}
	if rewritten != 0 {
		t.Errorf("%d records were written again", rewritten)
	}
	if got := counter(t, h.reg, "gatehouse_logs_duplicates_total"); got != n {
		t.Errorf("duplicates = %v, want %d", got, n)
	}
}

// TestStopWritesAndAcknowledgesTheBatchInHand: Stop leaves no message
// fetched but unacknowledged behind (it would wait for the ack wait before
// a new instance could store it).
func TestStopWritesAndAcknowledgesTheBatchInHand(t *testing.T) {
	h := newHarness(t)
	const n = 5000
	// One message per record, so acknowledged messages count records.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := api.EnsureStream(ctx, h.js, 1); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		data, err := json.Marshal(runtimeRecord(id("exe_stop", i), "dev", time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.js.PublishAsync(api.RecordSubject(api.KindRuntime, "dev"), data); err != nil {
			t.Fatal(err)
		}
		if i%500 == 499 || i == n-1 {
			select {
			case <-h.js.PublishAsyncComplete():
			case <-ctx.Done():
				t.Fatal("publishing did not complete")
			}
		}
	}
	s := h.start(logs.Config{})
	deadline := time.Now().Add(waitFor)
	for {
		if rows, _ := count(t, h.pool); rows > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing stored")
		}
		time.Sleep(time.Millisecond)
	}
	stop(t, s)
	stored, _ := count(t, h.pool)
	deadline = time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cons, err := h.js.Consumer(ctx, api.Stream, "gatehouse-logs-writer")
		if err != nil {
			t.Fatal(err)
		}
		info, err := cons.Info(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if info.NumAckPending == 0 {
			if acked := int(info.AckFloor.Stream); acked != stored {
				t.Errorf("after Stop, %d records stored but %d acknowledged", stored, acked)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Stop, %d messages still unacknowledged (%d stored)", info.NumAckPending, stored)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("stopped with %d of %d records stored", stored, n)
	h.start(logs.Config{})
	waitStored(t, h.pool, n)
	h.waitDrained()
}
