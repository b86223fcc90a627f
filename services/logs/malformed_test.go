package logs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

func TestMalformedMessagesAreTerminatedAndCounted(t *testing.T) {
	h := newHarness(t)
	h.start(logs.Config{})
	good := runtimeRecord("exe_good", "dev", time.Now())
	encode := func(r api.Record) []byte {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	noID := good
	noID.ID = ""
	otherEnv := good
	otherEnv.ID, otherEnv.Env = "exe_other_env", "prod"
	unknownKind := good
	unknownKind.ID, unknownKind.Kind = "exe_unknown_kind", "audit"
	badOutcome := good
	badOutcome.ID, badOutcome.Outcome = "exe_bad_outcome", "maybe"
	longID := good
	longID.ID = "exe_" + strings.Repeat("x", 300)
	subject := api.RecordSubject(api.KindRuntime, "dev")
	bad := []struct {
		reason  string
		subject string
		data    []byte
	}{
		{"invalid_json", subject, []byte(`{"id": "exe_broken", `)},
		{"invalid_json", subject, []byte(`["not", "an", "object"]`)},
		{"unknown_kind", subject, encode(unknownKind)},
		{"subject_mismatch", subject, encode(otherEnv)},
		{"subject_mismatch", api.RecordSubject(api.KindBuild, "dev"), encode(good)},
		{"missing_id", subject, encode(noID)},
		{"invalid_id", subject, encode(longID)},
		{"invalid_outcome", subject, encode(badOutcome)},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, b := range bad {
		if _, err := h.js.Publish(ctx, b.subject, b.data); err != nil {
			t.Fatal(err)
		}
	}
	// A console line may hold anything, NUL included, which PostgreSQL
	// text cannot: the record is stored with the character replaced.
	nul := runtimeRecord("exe_nul", "dev", time.Now())
	nul.Console = []api.ConsoleLine{{Level: "info", Text: "a\x00b"}}
	mustPublish(t, h.publisher(), nul, good)

	waitStored(t, h.pool, 2)
	info := h.waitDrained()
	if info.NumRedelivered != 0 {
		t.Errorf("%d messages redelivered: rejected messages must be terminated", info.NumRedelivered)
	}
	want := map[string]float64{}
	for _, b := range bad {
		want[b.reason]++
	}
	for reason, n := range want {
		if got := counter(t, h.reg, "gatehouse_logs_rejected_total", "reason", reason); got != n {
			t.Errorf("rejected{reason=%q} = %v, want %v", reason, got, n)
		}
	}
	if got := counter(t, h.reg, "gatehouse_logs_rejected_total"); got != float64(len(bad)) {
		t.Errorf("rejected in all = %v, want %d", got, len(bad))
	}
	resp, err := query(t, h, api.QueryRequest{Env: "dev", Kind: api.KindRuntime, ExecutionID: "exe_nul"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Records) != 1 || resp.Records[0].Console[0].Text != "a\uFFFDb" {
		t.Fatalf("record with a NUL character: %+v", resp.Records)
	}
}

// TestRecordsRefusedByPostgresAreTerminated: when PostgreSQL refuses one
// record of a batch, the others are stored and that one is terminated
// instead of blocking the stream.
func TestRecordsRefusedByPostgresAreTerminated(t *testing.T) {
	h := newHarness(t)
	if _, err := h.pool.Exec(context.Background(),
		`ALTER TABLE logs.records ADD CONSTRAINT no_poison CHECK (workflow_id <> 'wf_poison')`); err != nil {
		t.Fatal(err)
	}
	p := h.publisher()
	var recs []api.Record
	for i := range 20 {
		r := runtimeRecord(id("exe_batch", i), "dev", time.Now())
		if i == 7 {
			r.WorkflowID = "wf_poison"
		}
		recs = append(recs, r)
	}
	mustPublish(t, p, recs...)
	closePublisher(t, p) // all in the stream before the first fetch: one batch
	h.start(logs.Config{})
	waitStored(t, h.pool, 19)
	info := h.waitDrained()
	if info.NumRedelivered != 0 {
		t.Errorf("%d messages redelivered", info.NumRedelivered)
	}
	if got := storedIDs(t, h.pool)[id("exe_batch", 7)]; got != 0 {
		t.Errorf("refused record stored %d times", got)
	}
	if got := counter(t, h.reg, "gatehouse_logs_rejected_total", "reason", "rejected_by_database"); got != 1 {
		t.Errorf("rejected by database = %v, want 1", got)
	}
}

// TestBadRecordsPackedWithGoodOnesAreSkipped: a message carrying several
// records (as the publisher packs them) stores the good ones and counts the
// bad ones, and is acknowledged once.
func TestBadRecordsPackedWithGoodOnesAreSkipped(t *testing.T) {
	h := newHarness(t)
	h.start(logs.Config{})
	good1, good2 := runtimeRecord("exe_packed_1", "dev", time.Now()), runtimeRecord("exe_packed_2", "dev", time.Now())
	bad := runtimeRecord("exe_packed_bad", "dev", time.Now())
	bad.Outcome = "maybe"
	data, err := json.Marshal([]api.Record{good1, bad, good2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.js.Publish(ctx, api.RecordSubject(api.KindRuntime, "dev"), data); err != nil {
		t.Fatal(err)
	}
	waitStored(t, h.pool, 2)
	info := h.waitDrained()
	if info.NumRedelivered != 0 || info.NumAckPending != 0 {
		t.Errorf("redelivered %d, pending %d", info.NumRedelivered, info.NumAckPending)
	}
	ids := storedIDs(t, h.pool)
	if ids["exe_packed_1"] != 1 || ids["exe_packed_2"] != 1 || ids["exe_packed_bad"] != 0 {
		t.Fatalf("stored %v", ids)
	}
	if got := counter(t, h.reg, "gatehouse_logs_rejected_total", "reason", "invalid_outcome"); got != 1 {
		t.Errorf("rejected{invalid_outcome} = %v, want 1", got)
	}
}
