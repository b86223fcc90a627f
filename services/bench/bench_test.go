package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestRunMeasuresEverything runs every measurement with tiny counts: the
// numbers mean nothing, but each path must work end to end and the summary
// line must carry a positive value for every key.
func TestRunMeasuresEverything(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.RepoRoot = "../.."
	cfg.WorkDir = t.TempDir()
	cfg.Requests, cfg.Warmup, cfg.FreshRequests = 50, 10, 3
	cfg.Concurrency = []int{4}
	cfg.ThroughputTime = 200 * time.Millisecond
	var progress bytes.Buffer
	cfg.Progress = &progress

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var profile bytes.Buffer
	res, err := Run(ctx, cfg, &profile)
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
	}
	if profile.Len() == 0 {
		t.Error("the throughput runs wrote no CPU profile")
	}

	line := res.Line()
	kv, err := ParseLine(line)
	if err != nil {
		t.Fatalf("ParseLine(%q): %v", line, err)
	}
	for _, k := range LineKeys {
		if v, ok := kv[k]; !ok || v <= 0 {
			t.Errorf("%s = %v (present %v) in %q; want a positive value", k, v, ok, line)
		}
	}
	if len(kv) != len(LineKeys) {
		t.Errorf("the line has %d keys, want %d: %q", len(kv), len(LineKeys), line)
	}
	th := res.Throughput
	if th.Callers != 4 || th.Executions == 0 || th.Shed != 0 || th.Errors != 0 {
		t.Errorf("throughput %+v: want executions with 4 callers, none shed or failed", th)
	}
	if res.Trigger.N != 50 || res.Fresh.N != 3 || res.Trigger.P99 < res.Trigger.P50 {
		t.Errorf("trigger %+v, fresh %+v: wrong sample counts or percentiles", res.Trigger, res.Fresh)
	}
	if res.UploadToLive.Total < res.UploadToLive.Put+res.UploadToLive.Upload {
		t.Errorf("upload to live %+v is shorter than its parts", res.UploadToLive)
	}

	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"NATS echo", "trigger round trip", "trigger throughput", "HTTP webhook", "goja",
		"engine, pooled", "engine, fresh", "no live workflow", "upload → live", "restart, first execution"} {
		if !strings.Contains(table.String(), row) {
			t.Errorf("the table lacks the %q row:\n%s", row, table.String())
		}
	}
	if n := strings.Count(table.String(), "PASS") + strings.Count(table.String(), "MISS"); n != len(res.Checks()) {
		t.Errorf("the table has %d verdicts, want %d (the trigger row has two):\n%s", n, len(res.Checks()), table.String())
	}
}

func TestParseLineRejectsMalformedLines(t *testing.T) {
	for _, line := range []string{
		"", "echo_p50_us=1", "BENCH", "BENCH echo_p50_us", "BENCH echo_p50_us=fast",
		"BENCH a=1 a=2", "BENCH =3",
	} {
		if _, err := ParseLine(line); err == nil {
			t.Errorf("ParseLine(%q) accepted a malformed line", line)
		}
	}
	kv, err := ParseLine("BENCH echo_p50_us=41.5 ratio_p50=1.20")
	if err != nil || kv["echo_p50_us"] != 41.5 || kv["ratio_p50"] != 1.2 {
		t.Fatalf("ParseLine: %v %v", kv, err)
	}
}

func TestLatencyPercentiles(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Microsecond)
	}
	l := newLatency(s)
	if l.N != 100 || l.P50 != 50*time.Microsecond || l.P99 != 99*time.Microsecond || l.Mean != 50500*time.Nanosecond {
		t.Fatalf("newLatency = %+v", l)
	}
	if one := newLatency([]time.Duration{7}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("one sample: %+v", one)
	}
}
