package exampletest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/securefetch"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/services/worker/egress"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
)

// testSealer serves kinde.secureFetch with one test key per workflow, the
// way the keys service will serve the workflow's active key.
type testSealer struct {
	mu   sync.Mutex
	keys map[string][]byte // workflow id -> active key
	seen []string          // "env/workflowID" per call
}

func (s *testSealer) EncryptBody(_ context.Context, env, workflowID string, body []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, env+"/"+workflowID)
	key, ok := s.keys[workflowID]
	if !ok {
		return nil, fmt.Errorf("workflow %q has no active encryption key", workflowID)
	}
	sealed, err := securefetch.Encrypt(key, body)
	if err != nil {
		return nil, fmt.Errorf("encrypt for workflow %q: %w", workflowID, err)
	}
	return []byte(sealed), nil
}

func (s *testSealer) setKey(workflowID string, key []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == nil {
		delete(s.keys, workflowID)
		return
	}
	s.keys[workflowID] = key
}

func (s *testSealer) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// received is one request as the receiver saw it.
type received struct {
	path   string
	header http.Header
	wire   string            // the body on the wire
	plain  map[string]string // the decrypted body
}

// passwordReceiver stands in for the systems the password examples call. It
// knows each workflow's key only as the text shown at key creation, and
// decrypts with securefetch.ParseKey and securefetch.Decrypt as a customer's
// server would.
type passwordReceiver struct {
	mu   sync.Mutex
	got  []received
	keys map[string]string // path -> key text
}

func (p *passwordReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	keyText, ok := p.keys[r.URL.Path]
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	key, err := securefetch.ParseKey(keyText)
	if err != nil {
		http.Error(w, "bad key", http.StatusInternalServerError)
		return
	}
	rec := received{path: r.URL.Path, header: r.Header.Clone(), wire: string(raw)}
	plain, err := securefetch.Decrypt(key, string(raw))
	if err == nil {
		err = json.Unmarshal(plain, &rec.plain)
	}
	p.mu.Lock()
	p.got = append(p.got, rec)
	p.mu.Unlock()
	if err != nil {
		http.Error(w, "the body does not decrypt", http.StatusBadRequest)
		return
	}

	switch r.URL.Path {
	case "/legacy/verify":
		switch rec.plain["email"] {
		case "valid@example.com":
			w.Write([]byte(`{"valid":true}`))
		case "wrong@example.com":
			w.Write([]byte(`{"valid":false}`))
		case "unauthorized@example.com":
			http.Error(w, `{"error":"invalid credentials"}`, http.StatusUnauthorized)
		default:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}
	case "/sync/passwords":
		if r.Header.Get("Authorization") != "Bearer "+syncAPIKey {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if rec.plain["email"] == "down@example.com" {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// take returns and forgets the requests received so far.
func (p *passwordReceiver) take() []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.got
	p.got = nil
	return got
}

const (
	examplePassword = "someSecurePassword-42"
	syncAPIKey      = "sync-api-key-7f3a"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k, err := securefetch.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// onlyOne returns the one request received, failing otherwise, and checks
// what every secureFetch request must satisfy on the wire.
func onlyOne(t *testing.T, got []received) received {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if strings.Contains(r.wire, examplePassword) || strings.Contains(r.wire, "password") || json.Valid([]byte(r.wire)) {
		t.Errorf("the body on the wire is not encrypted: %q", r.wire)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	return r
}

func noSecretInConsole(t *testing.T, d api.Decision, secrets ...string) {
	t.Helper()
	for _, l := range d.Console {
		for _, s := range secrets {
			if strings.Contains(l.Text, s) {
				t.Errorf("console line %q holds a secret", l.Text)
			}
		}
	}
}

func TestSecureFetchExamplesInEngine(t *testing.T) {
	dripKey, syncKey := newKey(t), newKey(t)
	recv := &passwordReceiver{keys: map[string]string{
		"/legacy/verify":  securefetch.FormatKey(dripKey),
		"/sync/passwords": securefetch.FormatKey(syncKey),
	}}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	sealer := &testSealer{keys: map[string][]byte{"dripFeedMigration": dripKey, "securePasswordSync": syncKey}}
	env := staticEnv{
		"LEGACY_AUTH_URL":       {Value: srv.URL + "/legacy/verify"},
		"PASSWORD_SYNC_URL":     {Value: srv.URL + "/sync/passwords"},
		"PASSWORD_SYNC_API_KEY": {Value: syncAPIKey, IsSecret: true},
	}
	e, err := engine.New(t.Context(), engine.Config{
		Egress:      egress.Config{AllowHTTP: true, Allow: []string{"127.0.0.1/32"}},
		Env:         env,
		SecureFetch: sealer,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })

	t.Run("dripfeedmigration", func(t *testing.T) {
		m := compile(t, e, "dripfeedmigration")
		ev := `{"request":{"ip":"192.168.0.1","userAgent":"Mozilla/5.0"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"auth":{"providedEmail":%q,"password":%q,"hashedPassword":"someHash","hasUserRecordInKinde":%t},"user":{"id":"kp_1234566"},"workflow":{"trigger":"user:existing_password_provided"}}}`
		notFound := map[string]string{"p_password": "User or password not found"}
		for _, c := range []struct {
			email      string
			formErrors map[string]string
			warn       bool
		}{
			{"valid@example.com", nil, false},
			{"wrong@example.com", notFound, false},
			{"unauthorized@example.com", notFound, false},
			{"down@example.com", nil, true}, // receiver failure: not blocked
		} {
			d := execute(t, e, m, fmt.Sprintf(ev, c.email, examplePassword, false))
			mustSucceed(t, d)
			r := onlyOne(t, recv.take())
			if want := map[string]string{"email": c.email, "password": examplePassword}; !reflect.DeepEqual(r.plain, want) {
				t.Errorf("%s: receiver decrypted keys %v; want email and password", c.email, keysOf(r.plain))
			}
			if !reflect.DeepEqual(d.FormErrors, c.formErrors) {
				t.Errorf("%s: formErrors = %v, want %v", c.email, d.FormErrors, c.formErrors)
			}
			if got := hasLine(d.Console, "warn", "drip-feed migration skipped"); got != c.warn {
				t.Errorf("%s: console %v; warning %v, want %v", c.email, d.Console, got, c.warn)
			}
			noSecretInConsole(t, d, examplePassword)
		}

		// A user already in Gatehouse: no call.
		d := execute(t, e, m, fmt.Sprintf(ev, "wrong@example.com", examplePassword, true))
		mustSucceed(t, d)
		if got := recv.take(); len(got) != 0 || d.FormErrors != nil {
			t.Errorf("existing user: %d requests, formErrors %v; want none", len(got), d.FormErrors)
		}

		// No active encryption key: nothing leaves the worker, not blocked.
		sealer.setKey("dripFeedMigration", nil)
		d = execute(t, e, m, fmt.Sprintf(ev, "wrong@example.com", examplePassword, false))
		sealer.setKey("dripFeedMigration", dripKey)
		mustSucceed(t, d)
		if got := recv.take(); len(got) != 0 || d.FormErrors != nil {
			t.Errorf("no key: %d requests, formErrors %v; want none", len(got), d.FormErrors)
		}
		if !hasLine(d.Console, "warn", "fetch_failed") {
			t.Errorf("no key: console %v; want a fetch_failed warning", d.Console)
		}
		noSecretInConsole(t, d, examplePassword)
	})

	t.Run("securepasswordsync", func(t *testing.T) {
		m := compile(t, e, "securepasswordsync")
		ev := `{"request":{"ip":"192.168.0.1","userAgent":"Mozilla/5.0"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"auth":{"firstPassword":%[2]q,"secondPassword":%[2]q,"newPasswordReason":"reset"},"user":{"id":"kp_1234566","email":%[1]q},"workflow":{"trigger":"user:new_password_provided"}}}`

		d := execute(t, e, m, fmt.Sprintf(ev, "hello@example.com", examplePassword))
		mustSucceed(t, d)
		r := onlyOne(t, recv.take())
		want := map[string]string{"userId": "kp_1234566", "email": "hello@example.com", "password": examplePassword, "reason": "reset"}
		if !reflect.DeepEqual(r.plain, want) {
			t.Errorf("receiver decrypted keys %v; want userId, email, password, reason", keysOf(r.plain))
		}
		if d.FormErrors != nil || d.Denied != nil || !hasLine(d.Console, "info", "password synced") {
			t.Errorf("decision: formErrors %v, denied %+v, console %v", d.FormErrors, d.Denied, d.Console)
		}
		if d.FailurePolicy != "continue" {
			t.Errorf("failurePolicy = %q, want continue", d.FailurePolicy)
		}
		noSecretInConsole(t, d, examplePassword, syncAPIKey)

		// The receiver fails: a warning, the user is not blocked.
		d = execute(t, e, m, fmt.Sprintf(ev, "down@example.com", examplePassword))
		mustSucceed(t, d)
		onlyOne(t, recv.take())
		if d.FormErrors != nil || d.Denied != nil || !hasLine(d.Console, "warn", "status 503") {
			t.Errorf("receiver down: formErrors %v, denied %+v, console %v; want a warning only", d.FormErrors, d.Denied, d.Console)
		}
		noSecretInConsole(t, d, examplePassword, syncAPIKey)
	})

	calls := sealer.calls()
	if len(calls) == 0 {
		t.Error("EncryptBody was never called")
	}
	for _, c := range calls {
		if c != "test/dripFeedMigration" && c != "test/securePasswordSync" {
			t.Errorf("EncryptBody called for %q; want the executing workflow in env test", c)
		}
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
