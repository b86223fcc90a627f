package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const env = "production"

var tokensEvent = json.RawMessage(`{"request":{"ip":"203.0.113.9","auth":{"audience":["api"]}},
 "context":{"auth":{"origin":"authorization_request","connectionId":"conn_1"},"user":{"id":"kp_1"},
 "organization":{"code":"org_1"},"application":{"clientId":"c1"},"workflow":{"trigger":"user:tokens_generation"}}}`)

func startPlatform(t *testing.T, tweaks ...func(*Config)) *Platform {
	t.Helper()
	return startPlatformLogging(t, io.Discard, tweaks...)
}

// startPlatformLogging is startPlatform with the platform's log written to w.
func startPlatformLogging(t *testing.T, w io.Writer, tweaks ...func(*Config)) *Platform {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.NATSPort = -1
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stopping := time.Now()
		if err := p.Stop(ctx); err != nil {
			var stacks bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
			t.Errorf("stop after %v of test and %v of stopping: %v\n%s", stopping.Sub(started), time.Since(stopping), err, stacks.String())
		}
	})
	return p
}

func upload(t *testing.T, p *Platform, wasm []byte) dapi.UploadResponse {
	t.Helper()
	resp, err := tryUpload(p, wasm)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// tryUpload stores a module and deploys it; safe to call from any goroutine.
func tryUpload(p *Platform, wasm []byte) (dapi.UploadResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	js, err := jetstream.New(p.NATS())
	if err != nil {
		return dapi.UploadResponse{}, err
	}
	sha, err := dapi.PutArtifact(ctx, js, wasm)
	if err != nil {
		return dapi.UploadResponse{}, err
	}
	return natsrpc.Call[dapi.UploadRequest, dapi.UploadResponse](ctx, p.NATS(), dapi.SubjectUpload,
		dapi.UploadRequest{Env: env, SHA256: sha, Source: "test"})
}

func call[Req, Resp any](t *testing.T, p *Platform, subject string, req Req) (Resp, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return natsrpc.Call[Req, Resp](ctx, p.NATS(), subject, req)
}

// eventually fires the trigger until check accepts the decision: the change
// event that drops caches is asynchronous.
func eventually(t *testing.T, c *wapi.Client, preview string, what string, check func(d wapi.Decision) bool) wapi.Decision {
	t.Helper()
	return eventuallyFire(t, c, abi.TriggerTokensGeneration, tokensEvent, preview, what, check)
}

// eventuallyFire is eventually for any trigger and event.
func eventuallyFire(t *testing.T, c *wapi.Client, trigger abi.Trigger, event json.RawMessage, preview string, what string, check func(d wapi.Decision) bool) wapi.Decision {
	t.Helper()
	var d wapi.Decision
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var err error
		d, err = c.Fire(context.Background(), env, trigger, event, preview)
		if err != nil {
			t.Fatal(err)
		}
		if check(d) {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: last decision %+v", what, d)
	return d
}

func TestWorkflowLifecycleEndToEnd(t *testing.T) {
	v1wasm := wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench")
	v2wasm := wasmbuild.ForTest(t, "testdata/guests/tokensdeny")
	p := startPlatform(t)
	client, err := wapi.NewClient(p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	d := eventually(t, client, "", "no workflow yet", func(d wapi.Decision) bool { return !d.Ran && d.Error == nil })

	v1 := upload(t, p, v1wasm)
	if v1.Deployment.Status != dapi.StatusLive || v1.PreviewPassword == "" || v1.Deployment.WorkflowID != "tokensBench" {
		t.Fatalf("v1 upload: %+v", v1)
	}
	if !logHas(v1.BuildLog, "tokensBench") {
		t.Fatalf("build log does not describe the workflow: %+v", v1.BuildLog)
	}
	d = eventually(t, client, "", "v1 live", func(d wapi.Decision) bool { return d.Ran })
	if d.Error != nil || string(d.AccessTokenClaims["ip"]) != `"203.0.113.9"` || string(d.AccessTokenClaims["org"]) != `"org_1"` {
		t.Fatalf("v1 decision: %+v", d)
	}
	if d.DeploymentID != v1.Deployment.ID || d.FailurePolicy != "stop" {
		t.Fatalf("v1 decision metadata: %+v", d)
	}

	v2 := upload(t, p, v2wasm)
	if v2.Deployment.Status != dapi.StatusLive {
		t.Fatalf("v2 upload: %+v", v2.Deployment)
	}
	d = eventually(t, client, "", "v2 live", func(d wapi.Decision) bool { return d.Denied != nil })
	if d.Denied.Reason != "v2 denies kp_1" {
		t.Fatalf("v2 decision: %+v", d)
	}
	got, err := call[dapi.IDRequest, dapi.Deployment](t, p, dapi.SubjectGet, dapi.IDRequest{Env: env, DeploymentID: v1.Deployment.ID})
	if err != nil || got.Status != dapi.StatusDeployed {
		t.Fatalf("v1 after v2 went live: %+v %v", got, err)
	}

	// Roll back to v1; preview v2 with its password while v1 is live.
	if _, err := call[dapi.IDRequest, dapi.Deployment](t, p, dapi.SubjectMakeLive, dapi.IDRequest{Env: env, DeploymentID: v1.Deployment.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, client, "", "rollback to v1", func(d wapi.Decision) bool { return d.Ran && d.Denied == nil && d.AccessTokenClaims["ip"] != nil })
	d = eventually(t, client, v2.Deployment.ID, "preview v2", func(d wapi.Decision) bool { return d.Denied != nil })
	if d.DeploymentID != v2.Deployment.ID {
		t.Fatalf("preview ran %s, want %s", d.DeploymentID, v2.Deployment.ID)
	}
	for pw, want := range map[string]bool{v2.PreviewPassword: true, "wrong": false, v1.PreviewPassword: false} {
		res, err := call[dapi.PreviewCheckRequest, dapi.PreviewCheckResponse](t, p, dapi.SubjectPreviewCheck,
			dapi.PreviewCheckRequest{Env: env, DeploymentID: v2.Deployment.ID, Password: pw})
		if err != nil || res.OK != want {
			t.Fatalf("preview check: ok=%v err=%v, want %v", res.OK, err, want)
		}
	}
	// A new preview password replaces the old one.
	np, err := call[dapi.IDRequest, dapi.PreviewPasswordResponse](t, p, dapi.SubjectPreviewPassword,
		dapi.IDRequest{Env: env, DeploymentID: v2.Deployment.ID})
	if err != nil || np.PreviewPassword == "" || np.PreviewPassword == v2.PreviewPassword || np.Deployment.ID != v2.Deployment.ID {
		t.Fatalf("new preview password: %+v, %v", np, err)
	}
	for pw, want := range map[string]bool{np.PreviewPassword: true, v2.PreviewPassword: false} {
		res, err := call[dapi.PreviewCheckRequest, dapi.PreviewCheckResponse](t, p, dapi.SubjectPreviewCheck,
			dapi.PreviewCheckRequest{Env: env, DeploymentID: v2.Deployment.ID, Password: pw})
		if err != nil || res.OK != want {
			t.Fatalf("preview check after renewal: ok=%v err=%v, want %v", res.OK, err, want)
		}
	}
	if _, err := call[dapi.IDRequest, dapi.PreviewPasswordResponse](t, p, dapi.SubjectPreviewPassword,
		dapi.IDRequest{Env: env, DeploymentID: "dep_unknown"}); natsrpc.CodeOf(err) != natsrpc.CodeNotFound {
		t.Fatalf("new preview password of an unknown deployment: %v", err)
	}

	// A live deployment cannot be deleted; deactivating stops the workflow.
	_, err = call[dapi.IDRequest, dapi.Empty](t, p, dapi.SubjectDelete, dapi.IDRequest{Env: env, DeploymentID: v1.Deployment.ID})
	if natsrpc.CodeOf(err) != natsrpc.CodeFailedPrecondition || !strings.Contains(err.Error(), "is live") {
		t.Fatalf("deleting the live deployment: %v", err)
	}
	if _, err := call[dapi.IDRequest, dapi.Deployment](t, p, dapi.SubjectDeactivate, dapi.IDRequest{Env: env, DeploymentID: v1.Deployment.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, client, "", "deactivated", func(d wapi.Decision) bool { return !d.Ran && d.Error == nil })
	if _, err := call[dapi.IDRequest, dapi.Empty](t, p, dapi.SubjectDelete, dapi.IDRequest{Env: env, DeploymentID: v2.Deployment.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = call[dapi.IDRequest, dapi.Deployment](t, p, dapi.SubjectGet, dapi.IDRequest{Env: env, DeploymentID: v2.Deployment.ID})
	if natsrpc.CodeOf(err) != natsrpc.CodeNotFound {
		t.Fatalf("deleted deployment still there: %v", err)
	}
	waitLogs(t, p, lapi.QueryRequest{Env: env, Kind: lapi.KindSync, Limit: lapi.MaxQueryLimit}, "deactivated and received module", func(rs []lapi.Record) bool {
		return recordsHave(rs, "deactivated") && recordsHave(rs, "received module")
	})
	waitLogs(t, p, lapi.QueryRequest{Env: env, Kind: lapi.KindBuild, DeploymentID: v2.Deployment.ID}, "v2's build log", func(rs []lapi.Record) bool {
		return recordsHave(rs, "compiled and initialised")
	})
	waitLogs(t, p, lapi.QueryRequest{Env: env, Kind: lapi.KindRuntime, Outcome: lapi.OutcomeDenied}, "a denied runtime log", func(rs []lapi.Record) bool {
		return len(rs) > 0 && rs[0].Trigger == string(abi.TriggerTokensGeneration) && rs[0].Summary != nil && rs[0].Summary.Denied != ""
	})

	// The worker's metrics are on /metrics.
	body := get(t, "http://"+p.HTTPAddr()+"/metrics")
	for _, want := range []string{
		`gatehouse_trigger_executions_total{outcome="ok",trigger="user:tokens_generation"}`,
		`gatehouse_trigger_executions_total{outcome="denied",trigger="user:tokens_generation"}`,
		`gatehouse_rpc_requests_total{code="ok",endpoint="upload",service="gatehouse-deployments"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestUploadValidationFailuresAreRecordedAndChangeNothing(t *testing.T) {
	good := wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench")
	cases := []struct {
		name string
		wasm []byte
		want string
	}{
		{"malformed", []byte("this is not wasm"), "invalid workflow module"},
		{"no exports", []byte("\x00asm\x01\x00\x00\x00"), "gatehouse_"},
		{"duplicate id", wasmbuild.ForTest(t, "testdata/guests/dupid"), "duplicate workflow ID"},
		{"second workflow for trigger", wasmbuild.ForTest(t, "testdata/guests/othertokens"), "more than one workflow assigned to trigger user:tokens_generation"},
		{"binding not available", wasmbuild.ForTest(t, "testdata/guests/badbinding"), "kinde.mfa"},
	}
	p := startPlatform(t)
	live := upload(t, p, good)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := upload(t, p, c.wasm)
			if res.Deployment.Status != dapi.StatusFailed || res.PreviewPassword != "" {
				t.Fatalf("status %s (preview password set: %v), want Failed", res.Deployment.Status, res.PreviewPassword != "")
			}
			if !strings.Contains(res.Deployment.Error, c.want) || !logHas(res.BuildLog, c.want) {
				t.Fatalf("error %q / build log %+v does not say %q", res.Deployment.Error, res.BuildLog, c.want)
			}
		})
	}
	lr, err := call[dapi.LiveRequest, dapi.LiveResponse](t, p, dapi.SubjectLive, dapi.LiveRequest{Env: env, Trigger: abi.TriggerTokensGeneration})
	if err != nil || lr.Deployment == nil || lr.Deployment.ID != live.Deployment.ID {
		t.Fatalf("the live deployment changed after failed uploads: %+v %v", lr.Deployment, err)
	}
	_, err = call[dapi.UploadRequest, dapi.UploadResponse](t, p, dapi.SubjectUpload, dapi.UploadRequest{Env: env, SHA256: "nothex"})
	if natsrpc.CodeOf(err) != natsrpc.CodeInvalidArgument {
		t.Fatalf("bad digest: %v", err)
	}
	_, err = call[dapi.UploadRequest, dapi.UploadResponse](t, p, dapi.SubjectUpload, dapi.UploadRequest{Env: env, SHA256: strings.Repeat("ab", 32)})
	if natsrpc.CodeOf(err) != natsrpc.CodeNotFound {
		t.Fatalf("unknown digest: %v", err)
	}
	_, err = call[dapi.ListRequest, dapi.ListResponse](t, p, dapi.SubjectList, dapi.ListRequest{Env: "Bad.Env"})
	if natsrpc.CodeOf(err) != natsrpc.CodeInvalidArgument {
		t.Fatalf("bad environment: %v", err)
	}
}

func TestWorkerAnswersMalformedTriggersClearlyAndKeepsServing(t *testing.T) {
	p := startPlatform(t)
	upload(t, p, wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	subject := wapi.Subject(env, abi.TriggerTokensGeneration)
	_, err := natsrpc.CallRaw(ctx, p.NATS(), subject, []byte(`{"event": {not json`))
	if natsrpc.CodeOf(err) != natsrpc.CodeInvalidArgument || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("invalid JSON: %v", err)
	}
	_, err = natsrpc.CallRaw(ctx, p.NATS(), "gatehouse.trigger.production.user.nope", []byte(`{"event":{}}`))
	if natsrpc.CodeOf(err) != natsrpc.CodeInvalidArgument || !strings.Contains(err.Error(), "known trigger") {
		t.Fatalf("unknown trigger: %v", err)
	}
	out, err := natsrpc.CallRaw(ctx, p.NATS(), subject, []byte(`{"event":[1,2,3]}`))
	var d wapi.Decision
	if err != nil || json.Unmarshal(out, &d) != nil || d.Error == nil || d.Error.Code != wapi.ErrCodeInvalidEvent {
		t.Fatalf("event that is not an object: %s %v", out, err)
	}
	out, err = natsrpc.CallRaw(ctx, p.NATS(), subject, mustJSON(wapi.TriggerRequest{Event: tokensEvent}))
	d = wapi.Decision{}
	if err != nil || json.Unmarshal(out, &d) != nil || d.Error != nil || !d.Ran {
		t.Fatalf("worker stopped serving after bad input: %s %v", out, err)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func logHas(entries []dapi.LogEntry, s string) bool { return entriesHave(entries, s) }

// waitLogs queries the logs service until check accepts the records: the
// logs arrive through the stream, a moment after the event.
func waitLogs(t *testing.T, p *Platform, q lapi.QueryRequest, what string, check func([]lapi.Record) bool) []lapi.Record {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := call[lapi.QueryRequest, lapi.QueryResponse](t, p, lapi.SubjectQuery, q)
		if err == nil && check(resp.Records) {
			return resp.Records
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs never showed %s: %+v %v", what, resp.Records, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func recordsHave(rs []lapi.Record, s string) bool {
	for _, r := range rs {
		if strings.Contains(r.Message, s) {
			return true
		}
	}
	return false
}

func entriesHave(entries []dapi.LogEntry, s string) bool {
	for _, e := range entries {
		if strings.Contains(e.Message, s) {
			return true
		}
	}
	return false
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Targets = "worker,bogus"
	cfg.Mode = "prod"
	cfg.HTTPAddr = "nonsense"
	cfg.FetchAllow = "garbage!!"
	cfg.Limits.Timeout = -time.Second
	err := cfg.Validate()
	for _, want := range []string{"-nats-url is required", "-env must be", "-http-addr", `unknown target "bogus"`, "-fetch-allow", "timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to mention %q", err, want)
		}
	}
}

func TestAutoLiveOffLeavesUploadsForAHumanToMakeLive(t *testing.T) {
	wasm := wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench")
	p := startPlatform(t)
	if _, err := call[dapi.EnvSettings, dapi.EnvSettings](t, p, dapi.SubjectSetSettings, dapi.EnvSettings{Env: env, AutoLive: false}); err != nil {
		t.Fatal(err)
	}
	res := upload(t, p, wasm)
	if res.Deployment.Status != dapi.StatusDraft {
		t.Fatalf("status %s, want Draft while auto-live is off", res.Deployment.Status)
	}
	lt, err := call[dapi.LiveTriggersRequest, dapi.LiveTriggersResponse](t, p, dapi.SubjectLiveTriggers, dapi.LiveTriggersRequest{Env: env})
	if err != nil || len(lt.Triggers) != 0 {
		t.Fatalf("live triggers %+v %v, want none", lt.Triggers, err)
	}
	d, err := call[dapi.IDRequest, dapi.Deployment](t, p, dapi.SubjectMakeLive, dapi.IDRequest{Env: env, DeploymentID: res.Deployment.ID})
	if err != nil || d.Status != dapi.StatusLive || d.LiveAt == nil {
		t.Fatalf("make live: %+v %v", d, err)
	}
	ws, err := call[dapi.WorkflowsRequest, dapi.WorkflowsResponse](t, p, dapi.SubjectWorkflows, dapi.WorkflowsRequest{Env: env})
	if err != nil || len(ws.Workflows) != 1 || ws.Workflows[0].Status != "Live" || ws.Workflows[0].LiveDeploymentID != res.Deployment.ID {
		t.Fatalf("workflows %+v %v", ws.Workflows, err)
	}
	// Another environment is independent: nothing is live there.
	other, err := call[dapi.LiveTriggersRequest, dapi.LiveTriggersResponse](t, p, dapi.SubjectLiveTriggers, dapi.LiveTriggersRequest{Env: "staging"})
	if err != nil || len(other.Triggers) != 0 {
		t.Fatalf("staging live triggers %+v %v", other.Triggers, err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

// TestFullWorkerShedsWithAClearErrorAndKeepsServing fills a worker that runs
// one execution at a time with one waiting: the rest are refused at once
// with "overloaded", counted, and the caller's failure policy applies.
func TestFullWorkerShedsWithAClearErrorAndKeepsServing(t *testing.T) {
	wasm := wasmbuild.ForTest(t, "testdata/guests/slow")
	p := startPlatform(t, func(c *Config) { c.WorkerConcurrency, c.WorkerQueue = 1, 1 })
	upload(t, p, wasm)
	client, err := wapi.NewClient(p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	eventually(t, client, "", "slow workflow live", func(d wapi.Decision) bool { return d.Ran })

	const n = 6
	decisions := make(chan wapi.Decision, n)
	for range n {
		go func() {
			d, _ := client.Fire(context.Background(), env, abi.TriggerTokensGeneration, tokensEvent, "")
			decisions <- d
		}()
	}
	var ran, shed int
	for range n {
		d := <-decisions
		switch {
		case d.Ran && d.Error == nil:
			ran++
		case d.Error != nil && d.Error.Code == wapi.ErrCodeShed:
			shed++
			if !strings.Contains(d.Error.Message, "at capacity") || d.FailurePolicy != "stop" || d.Continue() {
				t.Errorf("shed decision %+v: want a clear message and failure policy stop", d)
			}
		default:
			t.Errorf("unexpected decision %+v", d)
		}
	}
	if ran < 1 || shed < 1 || ran+shed != n {
		t.Fatalf("ran=%d shed=%d of %d; want both", ran, shed, n)
	}
	if !strings.Contains(get(t, "http://"+p.HTTPAddr()+"/metrics"), `gatehouse_rpc_shed_total{endpoint="trigger",service="gatehouse-worker"}`) {
		t.Fatal("shed requests are not counted in /metrics")
	}
	waitLogs(t, p, lapi.QueryRequest{Env: env, Kind: lapi.KindRuntime, Outcome: lapi.OutcomeShed}, "the shed requests", func(rs []lapi.Record) bool {
		return len(rs) == shed && rs[0].Error != nil && strings.Contains(rs[0].Error.Message, "at capacity")
	})
	if d := eventually(t, client, "", "serving after overload", func(d wapi.Decision) bool { return d.Ran }); d.Error != nil {
		t.Fatalf("after overload: %+v", d)
	}
}

func TestPasswordsNeverLeaveTheWorker(t *testing.T) {
	p := startPlatform(t)
	upload(t, p, wasmbuild.ForTest(t, "testdata/guests/pwlog"))
	client, err := wapi.NewClient(p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const pw = "Correct-Horse-Battery-9"
	event := json.RawMessage(`{"request":{"ip":"192.0.2.1"},"context":{"auth":{"firstPassword":"` + pw +
		`","secondPassword":"` + pw + `","newPasswordReason":"initial"},"user":{"email":"a@example.com"},"workflow":{"trigger":"user:new_password_provided"}}}`)
	var d wapi.Decision
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !d.Ran {
		d, err = client.Fire(context.Background(), env, abi.TriggerNewPasswordProvided, event, "")
		if err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := json.Marshal(d)
	if strings.Contains(string(raw), pw) {
		t.Fatalf("the password left the worker: %s", raw)
	}
	if d.FormErrors["p_first_password"] != "we do not like "+wapi.Redacted || len(d.Console) == 0 ||
		d.Console[0].Text != "the new password is "+wapi.Redacted {
		t.Fatalf("redaction: form errors %v console %+v", d.FormErrors, d.Console)
	}
}

func TestOversizedDecisionBecomesALimitError(t *testing.T) {
	p := startPlatform(t, func(c *Config) { c.MaxDecisionBytes = 4096 })
	upload(t, p, wasmbuild.ForTest(t, "testdata/guests/bigclaim"))
	client, err := wapi.NewClient(p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	d := eventually(t, client, "", "big claim live", func(d wapi.Decision) bool { return d.Ran })
	if d.Error == nil || d.Error.Code != wapi.ErrCodeLimit || !strings.Contains(d.Error.Message, "over the 4096-byte limit") ||
		d.AccessTokenClaims != nil || d.FailurePolicy != "stop" {
		t.Fatalf("oversized decision: %+v", d)
	}
}

func TestWorkersNeedNoDatabaseInProduction(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode, cfg.Targets, cfg.NATSURL = ModeProduction, "worker", "nats://nats:4222"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a production worker without -database-url: %v", err)
	}
	cfg.Targets = "deployments"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "-database-url is required") {
		t.Fatalf("a production deployments target without -database-url: %v", err)
	}
}

// TestConcurrentUploadsKeepOneWorkflowPerTrigger races two workflows with
// different ids for the same trigger: exactly one is accepted, the other
// fails with the clash, and exactly one deployment is live.
func TestConcurrentUploadsKeepOneWorkflowPerTrigger(t *testing.T) {
	a := wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench")
	b := wasmbuild.ForTest(t, "testdata/guests/othertokens")
	p := startPlatform(t)
	type result struct {
		resp dapi.UploadResponse
		err  error
	}
	results := make(chan result, 2)
	for _, wasm := range [][]byte{a, b} {
		go func() {
			resp, err := tryUpload(p, wasm)
			results <- result{resp, err}
		}()
	}
	x1, x2 := <-results, <-results
	if x1.err != nil || x2.err != nil {
		t.Fatalf("uploads: %v, %v", x1.err, x2.err)
	}
	r1, r2 := x1.resp, x2.resp
	statuses := []dapi.Status{r1.Deployment.Status, r2.Deployment.Status}
	live, failed := 0, 0
	for _, r := range []dapi.UploadResponse{r1, r2} {
		switch r.Deployment.Status {
		case dapi.StatusLive:
			live++
		case dapi.StatusFailed:
			failed++
			if !strings.Contains(r.Deployment.Error, "more than one workflow assigned to trigger") {
				t.Errorf("clash message: %q", r.Deployment.Error)
			}
		}
	}
	if live != 1 || failed != 1 {
		t.Fatalf("statuses %v: want one Live and one Failed", statuses)
	}
	ws, err := call[dapi.WorkflowsRequest, dapi.WorkflowsResponse](t, p, dapi.SubjectWorkflows, dapi.WorkflowsRequest{Env: env})
	if err != nil || len(ws.Workflows) != 1 {
		t.Fatalf("workflows %+v %v: want exactly one", ws.Workflows, err)
	}
}
