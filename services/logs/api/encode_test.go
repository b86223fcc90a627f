package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEncodeRecordTrimsConsoleToFit(t *testing.T) {
	r := Record{ID: "exe_1", Kind: KindRuntime, Env: "production"}
	for range 200 {
		r.Console = append(r.Console, ConsoleLine{Level: "info", Text: strings.Repeat("x", 1000)})
	}
	data, err := encodeRecord(r, 50_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 50_000 {
		t.Fatalf("encoded %d bytes, over the limit", len(data))
	}
	var got Record
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	last := got.Console[len(got.Console)-1]
	kept := len(got.Console) - 1
	if kept < 40 || !strings.Contains(last.Text, "console lines dropped") || !strings.Contains(last.Text, "50000 bytes") {
		t.Fatalf("kept %d lines; last line %q", kept, last.Text)
	}
	if want := "[" + itoa(200-kept) + " console lines dropped"; !strings.HasPrefix(last.Text, want) {
		t.Fatalf("last line %q, want prefix %q", last.Text, want)
	}

	// A record that cannot fit even without console lines is refused.
	huge := Record{ID: "exe_2", Kind: KindRuntime, Env: "production", Error: &ExecError{Code: "x", Message: strings.Repeat("y", 60_000)}}
	if _, err := encodeRecord(huge, 50_000); err == nil || !strings.Contains(err.Error(), "exe_2") {
		t.Fatalf("oversized record: err = %v", err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestPackGroupsBySubjectWithinTheSizeLimit(t *testing.T) {
	p := &Publisher{maxSize: 4 << 10, m: publisherMetrics{dropped: newPublisherMetrics(PublisherConfig{}, nil).dropped}}
	var batch []Record
	for i := range 100 {
		env := "production"
		if i%10 == 0 {
			env = "staging"
		}
		batch = append(batch, Record{ID: "exe_" + itoa(i), Kind: KindRuntime, Env: env, Message: strings.Repeat("m", 100)})
	}
	msgs := p.pack(batch)
	seen := map[string]bool{}
	for _, m := range msgs {
		if len(m.data) > p.maxSize {
			t.Fatalf("message of %d bytes, over %d", len(m.data), p.maxSize)
		}
		rs, err := DecodeRecords(m.data)
		if err != nil || len(rs) != len(m.recs) {
			t.Fatalf("message %s: %d records decoded, %d packed, %v", m.id, len(rs), len(m.recs), err)
		}
		for _, r := range rs {
			if m.subject != RecordSubject(r.Kind, r.Env) || seen[r.ID] {
				t.Fatalf("record %s on %s (seen before: %v)", r.ID, m.subject, seen[r.ID])
			}
			seen[r.ID] = true
		}
	}
	if len(seen) != 100 || len(msgs) >= 20 {
		t.Fatalf("%d records in %d messages; want all 100 in few messages", len(seen), len(msgs))
	}
	// A lone record is a bare object with its own id as the message id.
	one := p.pack(batch[:1])
	if len(one) != 1 || one[0].id != "exe_0" || one[0].data[0] != '{' {
		t.Fatalf("lone record: %+v", one)
	}
	// The same records give the same message id, so a retried publish is
	// dropped by the stream's duplicate window.
	if a, b := p.pack(batch[1:9]), p.pack(batch[1:9]); a[0].id != b[0].id || !strings.HasPrefix(a[0].id, "batch-") {
		t.Fatalf("ids %s %s", a[0].id, b[0].id)
	}
}
