package wfcli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
)

// syncBuffer is a bytes.Buffer that a running command writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually calls check until it returns true; log ingestion and cache
// invalidation are asynchronous.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, got := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: gave up waiting; last output:\n%s", what, got)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// logsUntil runs gatehouse wf logs with args until its output contains every
// one of wants, and returns the output.
func (s *session) logsUntil(args []string, wants ...string) string {
	s.t.Helper()
	var out string
	eventually(s.t, "gatehouse wf logs "+strings.Join(args, " "), func() (bool, string) {
		var errOut string
		var code int
		code, out, errOut = s.try("", append([]string{"logs"}, args...)...)
		for _, w := range wants {
			if code != 0 || !strings.Contains(out, w) {
				return false, out + errOut
			}
		}
		return true, ""
	})
	return out
}

// fire fires the envflow workflow until it sees the greeting, and returns
// its decision.
func (s *session) fireEnvflow(event, greeting string) api.Decision {
	s.t.Helper()
	var d api.Decision
	eventually(s.t, "fire user:tokens_generation", func() (bool, string) {
		code, out, errOut := s.try("", "fire", "user:tokens_generation", "--event", event, "--json")
		if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
			return false, out + errOut
		}
		return string(d.AccessTokenClaims["greeting"]) == `"`+greeting+`"`, out
	})
	return d
}

func TestLogsShowExecutionsBuildsAndFollow(t *testing.T) {
	bothModes(t, testLogsShowExecutionsBuildsAndFollow)
}

func testLogsShowExecutionsBuildsAndFollow(t *testing.T, s *session) {
	const secret = "s3cr3t-value"
	wasm, event := envflow(t)

	out, _ := s.run(0, "", "deploy", wasm)
	dep := deployedID(t, out)
	s.run(0, "", "env", "set", "GREETING", "hello")
	s.run(0, secret+"\n", "env", "set", "API_KEY", "--secret")
	d := s.fireEnvflow(event, "hello")
	if d.ExecutionID == "" {
		t.Fatalf("the decision names no execution: %+v", d)
	}

	// The execution, its console line (the secret redacted) and what it set.
	out = s.logsUntil(nil, d.ExecutionID)
	wantContains(t, "logs", out, d.ExecutionID+"  user:tokens_generation  ok  ", "workflow=envFlow", "deployment="+dep,
		"\n  [info] api key is ", "\n  access token claims set: api_key_secret, greeting\n")

	out, _ = s.run(0, "", "logs", "--execution", d.ExecutionID, "--json")
	var rec lapi.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("logs --json is not one JSON record a line (%v):\n%s", err, out)
	}
	if rec.ID != d.ExecutionID || rec.Outcome != lapi.OutcomeOK || rec.DeploymentID != dep || len(rec.Console) == 0 {
		t.Errorf("logs --json record = %+v", rec)
	}
	out, _ = s.run(0, "", "logs", "--outcome", "error")
	wantContains(t, "logs --outcome error", out, "no runtime logs in environment production match")
	out, _ = s.run(0, "", "logs", "--since", "1h", "--workflow", "envFlow")
	wantContains(t, "logs --since 1h", out, d.ExecutionID)
	out, _ = s.run(0, "", "logs", "--until", "1h")
	if strings.Contains(out, d.ExecutionID) {
		t.Errorf("logs --until 1h shows an execution of a moment ago:\n%s", out)
	}

	out = s.logsUntil([]string{"--kind", "build", "--deployment", dep}, "deployment="+dep, "module compiled")
	if strings.Contains(out, "exe_") {
		t.Errorf("build logs show executions:\n%s", out)
	}
	s.logsUntil([]string{"--kind", "sync", "--deployment", dep}, "deployment="+dep)

	// Follow: the history, then an execution fired after it started, each
	// once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"logs", "--follow", "--workflow", "envFlow"}, s.remote...), strings.NewReader(""), &stdout, &stderr)
	}()
	eventually(t, "logs --follow starts", func() (bool, string) {
		return strings.Contains(stderr.String(), "following runtime logs of production"), stdout.String() + stderr.String()
	})
	s.run(0, "", "env", "set", "GREETING", "again")
	next := s.fireEnvflow(event, "again")
	eventually(t, "logs --follow prints the new execution", func() (bool, string) {
		return strings.Contains(stdout.String(), next.ExecutionID), stdout.String() + stderr.String()
	})
	// A record delivered again, records the filters leave out, then one
	// that passes: only the last is printed.
	nc, err := nats.Connect(s.remote[1])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	now := time.Now().UTC()
	for _, r := range []lapi.Record{
		rec,
		{ID: "exe_otherworkflow", Kind: lapi.KindRuntime, Env: "production", WorkflowID: "otherFlow", Time: now, Outcome: lapi.OutcomeOK},
		{ID: "log_buildline", Kind: lapi.KindBuild, Env: "production", WorkflowID: "envFlow", Time: now, Level: "info", Message: "a build line"},
		{ID: "exe_sentinel", Kind: lapi.KindRuntime, Env: "production", WorkflowID: "envFlow", Time: now, Outcome: lapi.OutcomeOK},
	} {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		msg := nats.NewMsg(lapi.RecordSubject(r.Kind, r.Env))
		msg.Header.Set(jetstream.MsgIDHeader, r.ID)
		msg.Data = data
		if err := nc.PublishMsg(msg); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "logs --follow prints the last record", func() (bool, string) {
		return strings.Contains(stdout.String(), "exe_sentinel"), stdout.String() + stderr.String()
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("logs --follow exited %d when cancelled:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("logs --follow did not stop when cancelled")
	}
	followed := stdout.String()
	s.output = append(s.output, followed, stderr.String())
	if n := strings.Count(followed, d.ExecutionID); n != 1 {
		t.Errorf("the first execution is printed %d times, want once (history):\n%s", n, followed)
	}
	if n := strings.Count(followed, next.ExecutionID); n != 1 {
		t.Errorf("the followed execution is printed %d times, want once:\n%s", n, followed)
	}
	for _, left := range []string{"exe_otherworkflow", "a build line"} {
		if strings.Contains(followed, left) {
			t.Errorf("logs --follow --workflow envFlow printed %q, which its filters leave out:\n%s", left, followed)
		}
	}
	if strings.Index(followed, d.ExecutionID) > strings.Index(followed, next.ExecutionID) {
		t.Errorf("logs --follow printed the new execution before the history:\n%s", followed)
	}
	s.neverShown(secret)
}
