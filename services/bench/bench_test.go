package bench

import (
	"bytes"
	"context"
	"slices"
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
	cfg.TokenTime = 200 * time.Millisecond
	cfg.FlowRequests, cfg.FlowWarmup = 2, 1
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
	keys := slices.Concat(LineKeys, TokenLineKeys, FlowLineKeys)
	for _, k := range keys {
		if v, ok := kv[k]; !ok || v <= 0 {
			t.Errorf("%s = %v (present %v) in %q; want a positive value", k, v, ok, line)
		}
	}
	if len(kv) != len(keys) {
		t.Errorf("the line has %d keys, want %d: %q", len(kv), len(keys), line)
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
	// Every token request got a token, with the workflow's claim where it
	// is live and without it elsewhere (checked per request).
	for name, te := range map[string]TokenEndpoint{"no workflow": res.TokenBare, "m2m workflow": res.TokenWorkflow} {
		if len(te.Levels) != 1 || te.Best.Callers != 4 || te.Best.Executions == 0 || te.errors() != 0 {
			t.Errorf("token endpoint, %s: %+v; want tokens with 4 callers and no failure", name, te)
		}
	}
	f := res.Flow
	for name, st := range map[string]Step{"authorize": f.Authorize, "sign-in page": f.SignInPage, "sign-in": f.SignIn,
		"exchange": f.Exchange, "refresh": f.Refresh, "argon2id": f.Argon2} {
		if st.N != 2 || st.P50 <= 0 || st.P95 < st.P50 {
			t.Errorf("flow step %s: %+v; want 2 samples with p95 ≥ p50 > 0", name, st)
		}
	}
	if f.Total.P50 < f.SignIn.P50 {
		t.Errorf("the whole flow (%s) is shorter than its sign-in step (%s)", f.Total.P50, f.SignIn.P50)
	}

	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"NATS echo", "trigger round trip", "trigger throughput", "HTTP webhook", "goja",
		"engine, pooled", "engine, fresh", "no live workflow", "upload → live", "restart, first execution",
		"token endpoint, no workflow", "token endpoint, m2m workflow", "GET /oauth2/auth", "GET /sign-in", "POST /sign-in",
		"POST /oauth2/token (code)", "POST /oauth2/token (refresh)", "whole flow", "argon2id verify alone"} {
		if !strings.Contains(table.String(), row) {
			t.Errorf("the table lacks the %q row:\n%s", row, table.String())
		}
	}
	if n := strings.Count(table.String(), "PASS") + strings.Count(table.String(), "MISS"); n != len(res.Checks()) {
		t.Errorf("the table has %d verdicts, want %d (the trigger row has two):\n%s", n, len(res.Checks()), table.String())
	}
}

// TestRunSelectsRows runs the flow rows alone: the platform starts, but
// nothing else is built or measured, and the line and the table have the
// flow's keys and rows only.
func TestRunSelectsRows(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RepoRoot = "../.."
	cfg.Rows = []string{RowsTrigger, "tokens"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"tokens"`) {
		t.Fatalf("Validate with an unknown group of rows: %v", err)
	}
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.WorkDir = t.TempDir()
	cfg.Rows = []string{RowsFlow}
	cfg.FlowRequests, cfg.FlowWarmup = 1, 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Rows, []string{RowsFlow}) || res.Trigger.N != 0 || res.TokenBare.Best.Executions != 0 || res.Flow.Total.N != 1 {
		t.Fatalf("rows %v: trigger %+v, token %+v, flow %+v", res.Rows, res.Trigger, res.TokenBare, res.Flow.Total)
	}
	kv, err := ParseLine(res.Line())
	if err != nil || len(kv) != len(FlowLineKeys) {
		t.Fatalf("line %q: %v; want the %d flow keys only", res.Line(), err, len(FlowLineKeys))
	}
	if len(res.Checks()) != 0 {
		t.Errorf("checks %v; the flow rows have no target", res.Checks())
	}
	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(table.String(), "NATS echo") || strings.Contains(table.String(), "token endpoint") ||
		!strings.Contains(table.String(), "POST /sign-in") {
		t.Errorf("the table of the flow rows:\n%s", table.String())
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
