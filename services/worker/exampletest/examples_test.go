package exampletest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/services/worker/egress"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// examplesDir is wasm-sdk/examples relative to this package.
var examplesDir = filepath.Join("..", "..", "..", "wasm-sdk", "examples")

// staticEnv serves kinde.env from a map, whatever the environment id.
type staticEnv map[string]abi.EnvValue

func (s staticEnv) Lookup(_ context.Context, _ string, key string) (abi.EnvValue, bool, error) {
	v, ok := s[key]
	return v, ok, nil
}

// externalAPI stands in for every API the examples call.
func externalAPI(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	// mfafordeleteproject
	mux.HandleFunc("POST /fga/permissions", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer fga-key" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var q struct{ UserID, OrgCode string }
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch q.UserID {
		case "kp_owner":
			w.Write([]byte(`["read:project","delete:project"]`))
		case "kp_viewer":
			w.Write([]byte(`["read:project"]`))
		default:
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	})
	// customclaims
	mux.HandleFunc("GET /entitlements/users/{id}/entitlements", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ent-key" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"plan":"pro","features":["reports","sso"],"user":%q}`, r.PathValue("id"))
	})
	// m2mtoorg
	mux.HandleFunc("GET /orgs/applications/{client}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("client") == "app_from_api" {
			w.Write([]byte(`{"orgCode":"org_initech"}`))
			return
		}
		http.NotFound(w, r)
	})
	// iprep
	mux.HandleFunc("GET /iprep/ip/{ip}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("ip") {
		case "198.51.100.66":
			w.Write([]byte(`{"risk":"high","score":97}`))
		case "203.0.113.7":
			w.Write([]byte(`{"risk":"low","score":2}`))
		default:
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// newEngine returns an engine whose fetch may reach the loopback server
// only when allowLoopback is set.
func newEngine(t *testing.T, env staticEnv, allowLoopback bool) *engine.Engine {
	t.Helper()
	eg := egress.Config{}
	if allowLoopback {
		eg = egress.Config{AllowHTTP: true, Allow: []string{"127.0.0.1/32"}}
	}
	e, err := engine.New(t.Context(), engine.Config{Egress: eg, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// compile builds an example to WebAssembly and compiles it in e.
func compile(t *testing.T, e *engine.Engine, name string) *engine.Module {
	t.Helper()
	wasm := wasmbuild.ForTest(t, filepath.Join(examplesDir, name))
	m, err := e.Compile(t.Context(), wasm)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return m
}

func execute(t *testing.T, e *engine.Engine, m *engine.Module, event string) api.Decision {
	t.Helper()
	if !json.Valid([]byte(event)) {
		t.Fatalf("test event is not JSON: %s", event)
	}
	return e.Execute(t.Context(), m, engine.Run{Env: "test", Event: []byte(event), ExecutionID: "exec_test"})
}

func mustSucceed(t *testing.T, d api.Decision) {
	t.Helper()
	if d.Error != nil {
		t.Fatalf("execution failed: %s: %s (console %v)", d.Error.Code, d.Error.Message, d.Console)
	}
	if !d.Ran {
		t.Fatal("decision says the workflow did not run")
	}
}

func TestExamplesInEngine(t *testing.T) {
	srv := externalAPI(t)
	env := staticEnv{
		"FGA_API_URL":          {Value: srv.URL + "/fga"},
		"FGA_API_KEY":          {Value: "fga-key", IsSecret: true},
		"MFA_SKIP_ORGS":        {Value: "org_initech,org_globex"},
		"ENTITLEMENTS_API_URL": {Value: srv.URL + "/entitlements"},
		"ENTITLEMENTS_API_KEY": {Value: "ent-key", IsSecret: true},
		"ORG_LOOKUP_URL":       {Value: srv.URL + "/orgs"},
		"IP_REPUTATION_URL":    {Value: srv.URL + "/iprep"},
	}
	e := newEngine(t, env, true)

	// preMFA is a user:pre_mfa event of user %[1]q into organization %[2]q
	// with context.mfa.lastMfaAt %[3]s (a JSON string, or null).
	const preMFA = `{"request":{"ip":"192.168.0.1"},"context":{"auth":{"connectionId":"conn_1"},"mfa":{"policy":"required","context":"environment","enabledFactors":["mfa:authenticator_app"],"isUserRoleExempt":false,"isUserConnectionExempt":false,"lastMfaAt":%[3]s},"user":{"id":%[1]q},"organization":{"code":%[2]q},"application":{"clientId":"cee9743f"},"workflow":{"trigger":"user:pre_mfa"}}}`
	lastMFA := func(ago time.Duration) string { return fmt.Sprintf("%q", time.Now().Add(-ago).Format(time.RFC3339)) }

	t.Run("mfagraceperiod", func(t *testing.T) {
		m := compile(t, e, "mfagraceperiod")
		for name, c := range map[string]struct{ last, want string }{
			"recent":  {lastMFA(time.Hour), abi.MFASkip},
			"stale":   {lastMFA(72 * time.Hour), abi.MFARequired},
			"never":   {"null", abi.MFARequired},
			"garbage": {`"yesterday"`, abi.MFARequired},
		} {
			d := execute(t, e, m, fmt.Sprintf(preMFA, "kp_1", "org_75ad9f26d2c", c.last))
			mustSucceed(t, d)
			if d.MFAPolicy != c.want {
				t.Errorf("%s: mfaPolicy = %q, want %q (console %v)", name, d.MFAPolicy, c.want, d.Console)
			}
		}
	})

	t.Run("mfafordeleteproject", func(t *testing.T) {
		m := compile(t, e, "mfafordeleteproject")
		for user, want := range map[string]string{"kp_owner": abi.MFARequired, "kp_viewer": "", "kp_down": abi.MFARequired} {
			d := execute(t, e, m, fmt.Sprintf(preMFA, user, "org_acme", "null"))
			mustSucceed(t, d)
			if d.MFAPolicy != want {
				t.Errorf("%s: mfaPolicy = %q, want %q (console %v)", user, d.MFAPolicy, want, d.Console)
			}
		}
		d := execute(t, e, m, fmt.Sprintf(preMFA, "kp_down", "org_acme", "null"))
		if !hasLine(d.Console, "warn", "status 500") {
			t.Errorf("console = %v; want a warning naming status 500", d.Console)
		}
		for _, l := range d.Console {
			if strings.Contains(l.Text, "fga-key") {
				t.Errorf("the API key reached the console: %q", l.Text)
			}
		}
	})

	t.Run("mfaskiporg", func(t *testing.T) {
		m := compile(t, e, "mfaskiporg")
		for org, want := range map[string]string{"org_75ad9f26d2c": abi.MFASkip, "org_globex": abi.MFASkip, "org_acme": ""} {
			d := execute(t, e, m, fmt.Sprintf(preMFA, "kp_1", org, "null"))
			mustSucceed(t, d)
			if d.MFAPolicy != want {
				t.Errorf("%s: mfaPolicy = %q, want %q (console %v)", org, d.MFAPolicy, want, d.Console)
			}
		}
	})

	t.Run("blockdisposableemails", func(t *testing.T) {
		m := compile(t, e, "blockdisposableemails")
		ev := `{"request":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0","authUrlParams":{"state":"b9ea","orgCode":"org_1","clientId":"cad2d86b","redirectUri":"http://localhost:3000"}},"context":{"auth":{"connectionId":"conn_1","providedEmail":%q},"domains":{"kindeDomain":"https://auth.example.com"},"application":{"clientId":"cad2d86b"},"workflow":{"trigger":"user:pre_registration"}}}`
		d := execute(t, e, m, fmt.Sprintf(ev, "someone@mailinator.com"))
		mustSucceed(t, d)
		if d.Denied == nil || !strings.Contains(d.Denied.Reason, "disposable email") {
			t.Errorf("disposable address: denied = %+v", d.Denied)
		}
		d = execute(t, e, m, fmt.Sprintf(ev, "jane@example.com"))
		mustSucceed(t, d)
		if d.Denied != nil {
			t.Errorf("permanent address denied: %+v", d.Denied)
		}
	})

	t.Run("custompasswordrules", func(t *testing.T) {
		m := compile(t, e, "custompasswordrules")
		ev := `{"request":{"ip":"192.168.0.1"},"context":{"auth":{"firstPassword":%[1]q,"secondPassword":%[1]q,"newPasswordReason":"initial"},"user":{"email":"hello@example.com"},"workflow":{"trigger":"user:new_password_provided"}}}`
		d := execute(t, e, m, fmt.Sprintf(ev, "weakpass"))
		mustSucceed(t, d)
		want := map[string]string{"p_first_password": "Your password needs at least 12 characters, an upper-case letter, a digit, a symbol."}
		if !reflect.DeepEqual(d.FormErrors, want) {
			t.Errorf("formErrors = %v, want %v", d.FormErrors, want)
		}
		for _, l := range d.Console {
			if strings.Contains(l.Text, "weakpass") {
				t.Errorf("the password reached the console: %q", l.Text)
			}
		}
		d = execute(t, e, m, fmt.Sprintf(ev, "Correct-horse-42"))
		mustSucceed(t, d)
		if d.FormErrors != nil {
			t.Errorf("strong password refused: %v", d.FormErrors)
		}
	})

	t.Run("customclaims", func(t *testing.T) {
		m := compile(t, e, "customclaims")
		d := execute(t, e, m, `{"request":{"auth":{"audience":["https://api.example.com"]},"ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"auth":{"origin":"authorization_request","isExistingSession":false,"connectionId":"conn_12345"},"application":{"clientId":"299627bd"},"user":{"id":"kp_1234567890","identityId":"identity_1"},"organization":{"code":"org_123456789"},"workflow":{"trigger":"user:tokens_generation"}}}`)
		mustSucceed(t, d)
		want := map[string]json.RawMessage{"plan": json.RawMessage(`"pro"`), "features": json.RawMessage(`["reports","sso"]`)}
		if !reflect.DeepEqual(d.AccessTokenClaims, want) {
			t.Errorf("accessTokenClaims = %s", d.AccessTokenClaims)
		}
	})

	t.Run("m2mtoorg", func(t *testing.T) {
		m := compile(t, e, "m2mtoorg")
		ev := `{"request":{"auth":{"audience":["https://api.example.com"],"scope":["read:users"]},"ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"application":{"clientId":%q},"workflow":{"trigger":"m2m:token_generation"}}}`
		for client, want := range map[string]string{
			"299627bd8bfa493f8b17e6aec8ebfb86": `"org_acme"`, // embedded table
			"app_from_api":                     `"org_initech"`,
			"app_unknown":                      "",
		} {
			d := execute(t, e, m, fmt.Sprintf(ev, client))
			mustSucceed(t, d)
			if got := string(d.M2MTokenClaims["org_code"]); got != want {
				t.Errorf("%s: org_code = %q, want %q", client, got, want)
			}
		}
	})

	t.Run("iprep", func(t *testing.T) {
		m := compile(t, e, "iprep")
		ev := `{"request":{"ip":%q,"userAgent":"Mozilla/5.0","authUrlParams":{"clientId":"cad2d86b"}},"context":{"auth":{"connectionId":"conn_1","isNewUserRecordCreated":false},"user":{"id":"kp_6e54d961"},"domains":{"kindeDomain":"https://auth.example.com"},"application":{"clientId":"cad2d86b"},"workflow":{"trigger":"user:post_authentication"}}}`
		d := execute(t, e, m, fmt.Sprintf(ev, "198.51.100.66"))
		mustSucceed(t, d)
		if d.Denied == nil || !strings.Contains(d.Denied.Reason, "poor reputation") {
			t.Errorf("high-risk IP: denied = %+v", d.Denied)
		}
		if d.FailurePolicy != abi.FailureContinue {
			t.Errorf("failurePolicy = %q", d.FailurePolicy)
		}
		d = execute(t, e, m, fmt.Sprintf(ev, "203.0.113.7"))
		mustSucceed(t, d)
		if d.Denied != nil {
			t.Errorf("low-risk IP denied: %+v", d.Denied)
		}
		// The API answers 500: fail open with a warning.
		d = execute(t, e, m, fmt.Sprintf(ev, "192.0.2.1"))
		mustSucceed(t, d)
		if d.Denied != nil {
			t.Errorf("denied although the API failed: %+v", d.Denied)
		}
		if !hasLine(d.Console, "warn", "status 500") {
			t.Errorf("console = %v; want a warning naming status 500", d.Console)
		}
	})

	t.Run("denyplanchange", func(t *testing.T) {
		m := compile(t, e, "denyplanchange")
		ev := `{"request":{"userAgent":"Mozilla/5.0","ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"billing":{"currentPlanCode":%q,"requestedPlanCode":%q},"user":{"id":"kp_1234566"},"organization":{"code":"org_123456"},"workflow":{"trigger":"user:plan_selection"}}}`
		d := execute(t, e, m, fmt.Sprintf(ev, "professional", "free"))
		mustSucceed(t, d)
		if d.PlanDenied == nil || !strings.Contains(d.PlanDenied.Reason, "free plan") || len(d.PlanDenied.Suggestions) != 2 {
			t.Errorf("downgrade: planDenied = %+v", d.PlanDenied)
		}
		d = execute(t, e, m, fmt.Sprintf(ev, "free", "professional"))
		mustSucceed(t, d)
		if d.PlanDenied != nil {
			t.Errorf("upgrade denied: %+v", d.PlanDenied)
		}
	})

	t.Run("denycancellation", func(t *testing.T) {
		m := compile(t, e, "denycancellation")
		ev := `{"request":{"userAgent":"Mozilla/5.0","ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"billing":{"currentPlanCode":%q,"agreementId":"agreement_01971a7c"},"workflow":{"trigger":"user:plan_cancellation_request"}}}`
		d := execute(t, e, m, fmt.Sprintf(ev, "pro_annual"))
		mustSucceed(t, d)
		if d.PlanDenied == nil || !strings.Contains(d.PlanDenied.Reason, "Annual plans") || d.PlanDenied.Suggestions != nil {
			t.Errorf("annual plan: planDenied = %+v", d.PlanDenied)
		}
		d = execute(t, e, m, fmt.Sprintf(ev, "pro"))
		mustSucceed(t, d)
		if d.PlanDenied != nil {
			t.Errorf("monthly plan denied: %+v", d.PlanDenied)
		}
	})

	t.Run("tokensbench", func(t *testing.T) {
		m := compile(t, e, "tokensbench")
		d := execute(t, e, m, `{"request":{"auth":{"audience":["https://api.example.com"]},"ip":"192.168.0.1"},"context":{"user":{"id":"kp_1"},"organization":{"code":"org_1"},"workflow":{"trigger":"user:tokens_generation"}}}`)
		mustSucceed(t, d)
		want := map[string]json.RawMessage{"ip": json.RawMessage(`"192.168.0.1"`), "org": json.RawMessage(`"org_1"`)}
		if !reflect.DeepEqual(d.AccessTokenClaims, want) {
			t.Errorf("accessTokenClaims = %s", d.AccessTokenClaims)
		}
	})
}

// Without the allow-list the engine refuses the loopback API: the examples
// above reach it only because of the test configuration.
func TestLoopbackRefusedWithoutAllowList(t *testing.T) {
	srv := externalAPI(t)
	e := newEngine(t, staticEnv{
		"ENTITLEMENTS_API_URL": {Value: srv.URL + "/entitlements"},
		"ENTITLEMENTS_API_KEY": {Value: "ent-key", IsSecret: true},
		"IP_REPUTATION_URL":    {Value: srv.URL + "/iprep"},
	}, false)

	m := compile(t, e, "customclaims")
	d := execute(t, e, m, `{"request":{"ip":"192.168.0.1"},"context":{"user":{"id":"kp_1"},"workflow":{"trigger":"user:tokens_generation"}}}`)
	if d.Error == nil || d.Error.Code != api.ErrCodeWorkflow || !strings.Contains(d.Error.Message, "fetch_failed") {
		t.Fatalf("customclaims without allow-list: error = %+v; want a workflow error from a refused fetch", d.Error)
	}
	if d.AccessTokenClaims != nil || d.FailurePolicy != abi.FailureStop {
		t.Errorf("decision %+v", d)
	}

	// iprep fails open on the refused fetch.
	m = compile(t, e, "iprep")
	d = execute(t, e, m, `{"request":{"ip":"198.51.100.66"},"context":{"user":{"id":"kp_1"},"workflow":{"trigger":"user:post_authentication"}}}`)
	mustSucceed(t, d)
	if d.Denied != nil || !hasLine(d.Console, "warn", "IP reputation check skipped") {
		t.Errorf("iprep without allow-list: denied %+v, console %v; want allowed with a warning", d.Denied, d.Console)
	}
}

func hasLine(lines []api.ConsoleLine, level, substr string) bool {
	for _, l := range lines {
		if l.Level == level && strings.Contains(l.Text, substr) {
			return true
		}
	}
	return false
}
