package engine

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func TestTokensbenchSetsClaimsFromPool(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, example(t, "tokensbench"))
	if m.Settings().ID != "tokensBench" || m.Settings().Trigger != abi.TriggerTokensGeneration {
		t.Fatalf("settings = %+v", m.Settings())
	}
	if len(m.SHA256()) != 64 || m.Size() == 0 {
		t.Fatalf("SHA256 %q, Size %d", m.SHA256(), m.Size())
	}
	for i := 0; i < 3; i++ {
		d := e.Execute(context.Background(), m, Run{Event: []byte(tokensEvent), ExecutionID: "x1", DeploymentID: "dep1"})
		wantOK(t, d)
		if got := string(d.AccessTokenClaims["ip"]); got != `"203.0.113.7"` {
			t.Fatalf("ip claim = %s", got)
		}
		if got := string(d.AccessTokenClaims["org"]); got != `"org_42"` {
			t.Fatalf("org claim = %s", got)
		}
		if d.ExecutionID != "x1" || d.DeploymentID != "dep1" || d.WorkflowID != "tokensBench" || d.FailurePolicy != "stop" || d.DurationMs <= 0 {
			t.Fatalf("decision metadata = %+v", d)
		}
	}
	if s := e.Stats(); s.Instantiations != 1 || s.IdleInstances != 1 || s.Executions != 3 {
		t.Fatalf("stats = %+v, want the compile-time instance reused for every run", s)
	}
}

func TestSDKTokensClaimsAndDroppedClaims(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "sdktokens"))

	d := run(e, m, `{"request":{"ip":"1.2.3.4"},"context":{"user":{"id":"kp_9"}},"test":{"prohibit":true,"print":"hello from stdout"}}`)
	wantOK(t, d)
	if string(d.AccessTokenClaims["roles"]) != `["admin","dev"]` || string(d.IDTokenClaims["nickname"]) != `"ace"` {
		t.Fatalf("claims = %s / %s", d.AccessTokenClaims, d.IDTokenClaims)
	}
	if _, ok := d.AccessTokenClaims["sub"]; ok {
		t.Fatal("prohibited claim sub was applied to the access token")
	}
	if _, ok := d.IDTokenClaims["auth_time"]; ok {
		t.Fatal("prohibited claim auth_time was applied to the ID token")
	}
	if want := []string{"accessToken:sub", "idToken:auth_time"}; !slices.Equal(d.DroppedClaims, want) {
		t.Fatalf("DroppedClaims = %v, want %v", d.DroppedClaims, want)
	}
	if !consoleHas(d, "warn", `claim "sub" is reserved on the access token and was dropped`) {
		t.Fatalf("no console warning for the dropped claim: %v", d.Console)
	}
	if !consoleHas(d, "info", "tokens for kp_9") || !consoleHas(d, "info", "hello from stdout") {
		t.Fatalf("console = %v, want the log line and the stdout line", d.Console)
	}
}

func TestSDKTokensDenyAndWorkflowError(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "sdktokens"))

	d := run(e, m, `{"test":{"deny":"not from there"}}`)
	wantOK(t, d)
	if d.Denied == nil || d.Denied.Reason != "not from there" {
		t.Fatalf("Denied = %+v", d.Denied)
	}

	d = run(e, m, `{"test":{"fail":"upstream said no"}}`)
	wantError(t, d, api.ErrCodeWorkflow, "upstream said no")
	if d.AccessTokenClaims != nil {
		t.Fatal("a failed execution carried claims; with failurePolicy continue they must not apply")
	}
	// A workflow error does not poison the instance.
	wantOK(t, run(e, m, `{}`))
	if s := e.Stats(); s.Instantiations != 1 {
		t.Fatalf("instantiations = %d, want 1 (workflow errors keep the instance)", s.Instantiations)
	}
}

func TestBindingNotAvailableFailsClosed(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "sdktokens"))
	// The workflow logs the error and carries on; the execution still fails.
	d := run(e, m, `{"test":{"useM2M":true}}`)
	wantError(t, d, api.ErrCodeBinding, "binding kinde.m2mToken is not available for trigger user:tokens_generation")
	if !consoleHas(d, "warn", "binding kinde.m2mToken is not available for trigger user:tokens_generation") {
		t.Fatalf("the guest did not receive the message: %v", d.Console)
	}
	if d.AccessTokenClaims != nil {
		t.Fatal("claims applied despite the capability violation")
	}
}

type fakeEnv map[string]abi.EnvValue

func (f fakeEnv) Lookup(_ context.Context, env, key string) (abi.EnvValue, bool, error) {
	v, ok := f[env+"/"+key]
	return v, ok, nil
}

func TestEnvBinding(t *testing.T) {
	t.Run("not served", func(t *testing.T) {
		e := newEngine(t, nil)
		m := compile(t, e, guest(t, "sdktokens"))
		d := run(e, m, `{"test":{"env":"API_KEY"}}`)
		wantError(t, d, api.ErrCodeWorkflow, "kinde.env is not served by this worker yet")
	})
	t.Run("served and redacted", func(t *testing.T) {
		e := newEngine(t, func(c *Config) {
			c.Env = fakeEnv{
				"test/API_KEY": {Value: "s3cr3t-value", IsSecret: true},
				"test/REGION":  {Value: "eu-west"},
			}
		})
		m := compile(t, e, guest(t, "sdktokens"))
		d := run(e, m, `{"test":{"env":"API_KEY"}}`)
		wantOK(t, d)
		js, _ := json.Marshal(d)
		if strings.Contains(string(js), "s3cr3t-value") {
			t.Fatalf("secret value leaked into the decision: %s", js)
		}
		if !consoleHas(d, "info", "env API_KEY = [redacted] secret: true") {
			t.Fatalf("console = %v", d.Console)
		}
		d = run(e, m, `{"test":{"env":"REGION"}}`)
		if !consoleHas(d, "info", "env REGION = eu-west secret: false") {
			t.Fatalf("console = %v", d.Console)
		}
		d = run(e, m, `{"test":{"env":"MISSING"}}`)
		wantOK(t, d)
		if !consoleHas(d, "info", "env MISSING is not set") {
			t.Fatalf("console = %v", d.Console)
		}
	})
}

func TestPreMFABinding(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "sdkpremfa"))
	d := run(e, m, `{"context":{"user":{"id":"kp_1"}}}`)
	wantOK(t, d)
	if d.MFAPolicy != "skip" || !slices.Equal(d.ChallengeWith, []string{"mfa:authenticator_app", "mfa:backup_code"}) || !slices.Equal(d.EnrollWith, []string{"mfa:email"}) {
		t.Fatalf("MFA decision = %q %v %v", d.MFAPolicy, d.ChallengeWith, d.EnrollWith)
	}
	if !consoleHas(d, "warn", `unknown MFA factor "mfa:carrier_pigeon"`) || !consoleHas(d, "warn", `MFA enforcement policy "sometimes" is neither "required" nor "skip"`) {
		t.Fatalf("invalid arguments were not reported to the guest: %v", d.Console)
	}
	if d.FailurePolicy != "continue" {
		t.Fatalf("FailurePolicy = %q, want continue from the settings", d.FailurePolicy)
	}

	// A panic in the handler is a workflow error; the next run is fine.
	d = run(e, m, `{"context":{"user":{"id":"panic"}}}`)
	wantError(t, d, api.ErrCodeWorkflow, "panic: assignment to entry in nil map")
	if !d.Continue() {
		t.Fatal("failurePolicy continue: the flow should go on")
	}
	wantOK(t, run(e, m, `{"context":{"user":{"id":"kp_2"}}}`))
}

func TestWidgetBinding(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "sdkpassword"))
	d := run(e, m, `{"context":{"user":{"id":"kp_1"}}}`)
	wantOK(t, d)
	if len(d.FormErrors) != 1 || d.FormErrors["p_password"] != "Please choose a longer password" {
		t.Fatalf("FormErrors = %v", d.FormErrors)
	}
	if !consoleHas(d, "warn", `form field "p_first_password" does not exist in trigger user:existing_password_provided (want one of p_password)`) {
		t.Fatalf("console = %v", d.Console)
	}
}

func TestPlanBinding(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "sdkplan"))
	d := run(e, m, `{"context":{"user":{"id":"kp_1"}}}`)
	wantOK(t, d)
	if d.PlanDenied == nil || d.PlanDenied.Reason != "Downgrades need a support ticket" ||
		!slices.Equal(d.PlanDenied.Suggestions, []string{"contact_support", "keep_plan"}) {
		t.Fatalf("PlanDenied = %+v", d.PlanDenied)
	}
	if !consoleHas(d, "warn", "denyCancellation is only valid in trigger user:plan_cancellation_request, not user:plan_selection") {
		t.Fatalf("console = %v", d.Console)
	}
}

func TestHostileBindingViolations(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "hostile"))

	d := run(e, m, `{"op":"env"}`)
	wantError(t, d, api.ErrCodeBinding, "binding kinde.env is not declared in workflowSettings")
	if !consoleHas(d, "info", "get_env returned -1: binding kinde.env is not declared in workflowSettings") {
		t.Fatalf("console = %v", d.Console)
	}

	d = run(e, m, `{"op":"mfa"}`)
	wantError(t, d, api.ErrCodeBinding, "binding kinde.mfa is not available for trigger user:tokens_generation")
	if !consoleHas(d, "info", "set_enforcement_policy returned -2: binding kinde.mfa is not available") {
		t.Fatalf("console = %v", d.Console)
	}

	d = run(e, m, `{"op":"badclaim"}`)
	wantOK(t, d)
	if !consoleHas(d, "info", `set_claim returned -3: claim "x": value is not valid JSON`) ||
		!consoleHas(d, "info", "set_claim returned -3: set_claim: unknown token kind 9") {
		t.Fatalf("console = %v", d.Console)
	}

	d = run(e, m, `{"op":"badptr"}`)
	wantOK(t, d)
	if !consoleHas(d, "info", "log returned -3: log: 524287 bytes at 0x7fffff00 are outside the module's memory") {
		t.Fatalf("console = %v", d.Console)
	}
}

func TestGatingOnHandMadeModules(t *testing.T) {
	e := newEngine(t, nil)
	cases := []struct {
		trigger, bindings, call, want string
	}{
		{"user:pre_registration", "", "deny_access", "binding kinde.auth is not declared in workflowSettings"},
		{"user:plan_selection", "kinde.plan", "deny_access", "binding kinde.auth is not available for trigger user:plan_selection"},
		{"m2m:token_generation", "kinde.m2mToken", "invalidate_form_field", ""}, // 4-arg fn: skip
		{"user:pre_mfa", "kinde.mfa", "fetch", "binding kinde.fetch is not declared in workflowSettings"},
		{"user:pre_mfa", "kinde.mfa", "secure_fetch", "binding kinde.secureFetch is not declared in workflowSettings"},
	}
	for _, c := range cases {
		if c.want == "" {
			continue
		}
		m := compile(t, e, rawModule{version: 1, settings: rawSettings(c.trigger, c.bindings), handle: "call", call: c.call}.bytes())
		wantError(t, run(e, m, `{}`), api.ErrCodeBinding, c.want)
	}
	// Declared and available: deny_access works, with the settings JSON as reason.
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_registration", "kinde.auth"), handle: "call", call: "deny_access"}.bytes())
	d := run(e, m, `{}`)
	wantOK(t, d)
	if d.Denied == nil || !strings.Contains(d.Denied.Reason, `"trigger":"user:pre_registration"`) {
		t.Fatalf("Denied = %+v", d.Denied)
	}
	// secure_fetch declared but not served.
	m = compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", "kinde.secureFetch"), handle: "call", call: "secure_fetch"}.bytes())
	wantOK(t, run(e, m, `{}`)) // the guest ignores the status; not a capability violation
}
