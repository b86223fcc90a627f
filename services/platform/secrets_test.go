package platform

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/securefetch"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func randomText(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func passwordEvent(email, password string) json.RawMessage {
	return mustJSON(map[string]any{
		"request": map[string]any{"ip": "203.0.113.9", "userAgent": "test"},
		"context": map[string]any{
			"auth":     map[string]any{"firstPassword": password, "secondPassword": password, "newPasswordReason": "initial"},
			"user":     map[string]any{"email": email},
			"workflow": map[string]any{"trigger": "user:new_password_provided"},
		},
	})
}

// syncWriter is a bytes.Buffer safe for the platform's concurrent logging.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestSecretsAndPasswordsNeverLeak runs a workflow that tries every way to
// leak a secret environment variable and the user's password — console,
// form error, a fetch URL and the error it causes — then searches every
// stored row of every schema, every NATS message published while it ran
// (except the trigger requests, which carry the password to the worker),
// the metrics and the service logs.
func TestSecretsAndPasswordsNeverLeak(t *testing.T) {
	var slogged syncWriter
	p := startPlatformLogging(t, &slogged)
	// Characters that JSON and %q escape, so the escaped forms are tested too.
	secret, password, plain := randomText("sk_live_")+`&<"\>`, randomText("pw-")+`<&'"\`, randomText("plain-")
	for _, v := range []kapi.CreateEnvRequest{
		{Env: env, Key: "API_KEY", Value: secret, IsSecret: true},
		{Env: env, Key: "PLAIN_SETTING", Value: plain},
	} {
		if _, err := call[kapi.CreateEnvRequest, kapi.EnvVar](t, p, kapi.SubjectEnvCreate, v); err != nil {
			t.Fatal(err)
		}
	}
	upload(t, p, wasmbuild.ForTest(t, "testdata/guests/secretleak"))

	// Every message on the bus from here on.
	type seen struct {
		subject string
		data    []byte
		header  nats.Header
	}
	var mu sync.Mutex
	var msgs []seen
	sniffer, err := nats.Connect(p.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer sniffer.Close()
	sub, err := sniffer.Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		msgs = append(msgs, seen{m.Subject, append([]byte(nil), m.Data...), m.Header})
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sniffer.Flush(); err != nil {
		t.Fatal(err)
	}

	client, err := wapi.NewClient(p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const runs = 3
	var execs []string
	eventuallyFire(t, client, abi.TriggerNewPasswordProvided, passwordEvent("a@example.com", "warm-up"), "", "the leaky workflow",
		func(d wapi.Decision) bool { return d.Ran })
	for range runs {
		d, err := client.Fire(context.Background(), env, abi.TriggerNewPasswordProvided, passwordEvent("a@example.com", password), "")
		if err != nil || !d.Ran || d.Error != nil {
			t.Fatalf("decision %+v %v", d, err)
		}
		if got := d.FormErrors["p_first_password"]; got != "key [redacted] rejects [redacted]" {
			t.Fatalf("form error %q", got)
		}
		execs = append(execs, d.ExecutionID)
	}
	// The runtime logs are stored, redacted, with the plain value intact.
	for _, id := range execs {
		rs := waitLogs(t, p, lapi.QueryRequest{Env: env, Kind: lapi.KindRuntime, ExecutionID: id}, "execution "+id,
			func(rs []lapi.Record) bool { return len(rs) == 1 })
		raw, _ := json.Marshal(rs[0])
		for _, want := range []string{"the api key is [redacted] and the password is [redacted]", `as JSON: {\"key\":\"[redacted]\",\"password\":\"[redacted]\"}`,
			"plain setting: " + plain, "fetch failed:", "key [redacted] rejects [redacted]"} {
			if !strings.Contains(string(raw), want) {
				t.Fatalf("runtime log lacks %q: %s", want, raw)
			}
		}
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}

	leaks := func(where, text string) {
		t.Helper()
		for name, v := range map[string]string{"secret": secret, "password": password,
			// The random cores, so no escaped form slips through either.
			"secret's core": secret[8:32], "password's core": password[3:27]} {
			if strings.Contains(text, v) {
				t.Errorf("the %s appears in %s: %.300s", name, where, text[max(0, strings.Index(text, v)-150):])
			}
		}
	}
	mu.Lock()
	var triggerRequests int
	for _, m := range msgs {
		if strings.HasPrefix(m.subject, wapi.SubjectPrefix+".") {
			triggerRequests++ // the input: the event carries the password to the worker
			continue
		}
		leaks("NATS message on "+m.subject, string(m.data))
		for k, vs := range m.header {
			leaks("NATS header "+k+" on "+m.subject, strings.Join(vs, ","))
		}
	}
	total := len(msgs)
	mu.Unlock()
	if triggerRequests < runs || total < 3*runs {
		t.Fatalf("the sniffer saw %d messages (%d trigger requests): it did not watch the bus", total, triggerRequests)
	}

	// Every row of every table, as text.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, p.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var schema, name string
		err := r.Scan(&schema, &name)
		return pgx.Identifier{schema, name}.Sanitize(), err
	})
	if err != nil {
		t.Fatal(err)
	}
	var sawLogs bool
	for _, tbl := range tables {
		var dump string
		if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(string_agg(t::text, E'\n'), '') FROM %s t`, tbl)).Scan(&dump); err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		leaks("table "+tbl, dump)
		sawLogs = sawLogs || strings.Contains(dump, "[redacted]")
	}
	if !sawLogs {
		t.Fatalf("no table holds a redacted runtime log; tables: %v", tables)
	}

	metrics := get(t, "http://"+p.HTTPAddr()+"/metrics")
	leaks("/metrics", metrics)
	if !strings.Contains(metrics, "gatehouse_worker_redactions_total") || strings.Contains(metrics, "gatehouse_worker_redactions_total 0\n") {
		t.Fatal("redactions are not counted in /metrics")
	}
	leaks("the service log", slogged.String())
}

// TestEnvironmentVariablesReachWorkflowsAndChangesApply: a workflow reads a
// variable; creating, updating and deleting it change what the next
// executions see within moments (eventually polls for 5 s, far less than the
// caches' 30-second TTL), since the keys service announces every change.
func TestEnvironmentVariablesReachWorkflowsAndChangesApply(t *testing.T) {
	p := startPlatform(t)
	upload(t, p, wasmbuild.ForTest(t, "testdata/guests/envclaim"))
	client, err := wapi.NewClient(p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	eventually(t, client, "", "a missing variable is nothing, not an error", func(d wapi.Decision) bool {
		return d.Ran && d.Error == nil && string(d.AccessTokenClaims["greeting_missing"]) == "true"
	})
	if _, err := call[kapi.CreateEnvRequest, kapi.EnvVar](t, p, kapi.SubjectEnvCreate, kapi.CreateEnvRequest{Env: env, Key: "GREETING", Value: "hello"}); err != nil {
		t.Fatal(err)
	}
	// The cached "missing" answer is dropped by the change event (well
	// before the 30-second TTL would expire it).
	eventually(t, client, "", "the created value", func(d wapi.Decision) bool { return string(d.AccessTokenClaims["greeting"]) == `"hello"` })
	v := "bonjour"
	if _, err := call[kapi.UpdateEnvRequest, kapi.EnvVar](t, p, kapi.SubjectEnvUpdate, kapi.UpdateEnvRequest{Env: env, Key: "GREETING", Value: &v}); err != nil {
		t.Fatal(err)
	}
	eventually(t, client, "", "the updated value", func(d wapi.Decision) bool { return string(d.AccessTokenClaims["greeting"]) == `"bonjour"` })
	if _, err := call[kapi.EnvKeyRequest, kapi.DeleteResponse](t, p, kapi.SubjectEnvDelete, kapi.EnvKeyRequest{Env: env, Key: "GREETING"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, client, "", "the variable gone", func(d wapi.Decision) bool { return string(d.AccessTokenClaims["greeting_missing"]) == "true" })
	// Other environments do not see production's variables.
	if _, err := call[kapi.CreateEnvRequest, kapi.EnvVar](t, p, kapi.SubjectEnvCreate, kapi.CreateEnvRequest{Env: "staging", Key: "GREETING", Value: "staging only"}); err != nil {
		t.Fatal(err)
	}
	d, err := client.Fire(context.Background(), env, abi.TriggerTokensGeneration, tokensEvent, "")
	if err != nil || d.AccessTokenClaims["greeting"] != nil {
		t.Fatalf("production saw staging's variable: %+v %v", d, err)
	}
}

// TestSecureFetchEncryptsWithTheActiveKey sends a password through
// secureFetch to a loopback receiver that decrypts it with the value shown
// when the key was created — first with no key (a clear runtime error), then
// with the first key, then after activating a second one.
func TestSecureFetchEncryptsWithTheActiveKey(t *testing.T) {
	type got struct {
		body   string
		header http.Header
	}
	bodies := make(chan got, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- got{string(b), r.Header.Clone()}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(receiver.URL, "http://"))
	p := startPlatform(t, func(c *Config) { c.FetchAllow, c.FetchAllowHTTP = net.JoinHostPort(host, port), true })
	if _, err := call[kapi.CreateEnvRequest, kapi.EnvVar](t, p, kapi.SubjectEnvCreate,
		kapi.CreateEnvRequest{Env: env, Key: "SYNC_URL", Value: receiver.URL + "/sync"}); err != nil {
		t.Fatal(err)
	}
	upload(t, p, wasmbuild.ForTest(t, "testdata/guests/securesync"))
	client, err := wapi.NewClient(p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	password := randomText("pw-")
	event := passwordEvent("sync@example.com", password)

	d := eventuallyFire(t, client, abi.TriggerNewPasswordProvided, event, "", "the sync workflow", func(d wapi.Decision) bool { return d.Ran })
	if d.Error == nil || !strings.Contains(d.Error.Message, "workflow secureSync") || !strings.Contains(d.Error.Message, "no active encryption key") ||
		!strings.Contains(d.Error.Message, "gatehouse wf keys create") {
		t.Fatalf("without a key: %+v", d.Error)
	}
	if len(bodies) != 0 {
		t.Fatal("a body was sent without a key")
	}

	k1, err := call[kapi.CreateWorkflowKeyRequest, kapi.CreateWorkflowKeyResponse](t, p, kapi.SubjectWorkflowKeyCreate,
		kapi.CreateWorkflowKeyRequest{Env: env, WorkflowID: "secureSync"})
	if err != nil || !k1.Key.Active {
		t.Fatalf("first key: %+v %v", k1, err)
	}
	fire := func() got {
		t.Helper()
		d, err := client.Fire(context.Background(), env, abi.TriggerNewPasswordProvided, event, "")
		if err != nil || d.Error != nil {
			t.Fatalf("decision %+v %v", d, err)
		}
		select {
		case g := <-bodies:
			if strings.Contains(g.body, password) {
				t.Fatalf("the password crossed the wire in clear: %s", g.body)
			}
			return g
		case <-time.After(10 * time.Second):
			t.Fatal("the receiver got nothing")
			return got{}
		}
	}
	decrypt := func(value, body string) (map[string]string, error) {
		key, err := securefetch.ParseKey(value)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := securefetch.Decrypt(key, body)
		if err != nil {
			return nil, err
		}
		var m map[string]string
		return m, json.Unmarshal(plain, &m)
	}
	g := fire()
	m, err := decrypt(k1.Value, g.body)
	if err != nil || m["password"] != password || m["email"] != "sync@example.com" {
		t.Fatalf("decrypted %v %v", m, err)
	}

	// A second key is created inactive; activating it switches secureFetch
	// at once, and the old key no longer opens the body.
	k2, err := call[kapi.CreateWorkflowKeyRequest, kapi.CreateWorkflowKeyResponse](t, p, kapi.SubjectWorkflowKeyCreate,
		kapi.CreateWorkflowKeyRequest{Env: env, WorkflowID: "secureSync"})
	if err != nil || k2.Key.Active {
		t.Fatalf("second key: %+v %v", k2, err)
	}
	if _, err := call[kapi.WorkflowKeyRequest, kapi.WorkflowKey](t, p, kapi.SubjectWorkflowKeyActivate, kapi.WorkflowKeyRequest{Env: env, KeyID: k2.Key.ID}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		// The change event reaches the worker's cache a moment after the reply.
		g = fire()
		m, err := decrypt(k2.Value, g.body)
		if err == nil {
			if m["password"] != password {
				t.Fatalf("with the new key: %v", m)
			}
			if _, err := decrypt(k1.Value, g.body); err == nil {
				t.Fatal("the deactivated key opens a body sealed with the new one")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("secureFetch still uses the old key 5 s after the new one was activated")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err = call[kapi.WorkflowKeyRequest, kapi.DeleteResponse](t, p, kapi.SubjectWorkflowKeyDelete, kapi.WorkflowKeyRequest{Env: env, KeyID: k2.Key.ID})
	if natsrpc.CodeOf(err) != natsrpc.CodeFailedPrecondition {
		t.Fatalf("deleting the active key: %v", err)
	}
}
