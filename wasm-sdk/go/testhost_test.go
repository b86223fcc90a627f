//go:build !wasip1

package gatehouse

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func mustWorkflow[E any](t *testing.T, s Settings, h func(*E) error) *Workflow {
	t.Helper()
	w, err := NewWorkflow(s, h)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func sample(t *testing.T, trig Trigger) []byte {
	t.Helper()
	return sampleEvents(t)[trig]
}

func TestBindingNotDeclaredFailsRun(t *testing.T) {
	var callErr error
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPreMFA}, func(*PreMFAEvent) error {
		callErr = SetEnforcementPolicy(MFASkip)
		return nil // ignoring the error does not hide the misuse
	})
	res, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerPreMFA))
	var be *BindingError
	if !errors.As(callErr, &be) || be.Binding != "kinde.mfa" || be.Status != abi.StatusNotDeclared {
		t.Fatalf("SetEnforcementPolicy error = %v", callErr)
	}
	if want := "kinde.mfa: binding_not_declared: binding kinde.mfa is not declared in workflowSettings"; callErr.Error() != want {
		t.Errorf("error text %q, want %q", callErr, want)
	}
	if err == nil || res.Failure == nil || res.Failure.Code != FailureBinding {
		t.Fatalf("Run = %v, %v; want a binding_error failure", res, err)
	}
	if res.MFAPolicy != "" {
		t.Errorf("policy applied despite the refusal: %q", res.MFAPolicy)
	}
}

func TestBindingNotAvailableInTrigger(t *testing.T) {
	var callErr error
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerTokensGeneration},
		func(*TokensGenerationEvent) error { callErr = SetEnforcementPolicy(MFASkip); return nil })
	res, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerTokensGeneration))
	var be *BindingError
	if !errors.As(callErr, &be) || be.Status != abi.StatusNotAvailable {
		t.Fatalf("SetEnforcementPolicy error = %v", callErr)
	}
	if err == nil || res.Failure.Code != FailureBinding ||
		res.Failure.Message != "binding kinde.mfa is not available for trigger user:tokens_generation" {
		t.Fatalf("Run = %v, %v", res, err)
	}
}

func TestSettingsRejectedAtUpload(t *testing.T) {
	for _, b := range []string{"kinde.mfa", "kinde.teleport"} {
		w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerTokensGeneration, Bindings: Bindings{b: {}}},
			func(*TokensGenerationEvent) error { return nil })
		res, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerTokensGeneration))
		if res != nil || err == nil || !strings.Contains(err.Error(), "would reject this workflow at upload") || !strings.Contains(err.Error(), b) {
			t.Errorf("binding %s: Run = %v, %v", b, res, err)
		}
	}
}

func TestConsoleIsNative(t *testing.T) {
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPlanSelection}, func(e *PlanSelectionEvent) error {
		Log("plan", e.Context.Billing.RequestedPlanCode, 3, true)
		Logf("user %s", e.Context.User.ID)
		Debug("d")
		Warn("careful")
		Error("bad", errors.New("thing"))
		return nil
	})
	res, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerPlanSelection))
	if err != nil {
		t.Fatal(err)
	}
	want := []ConsoleLine{
		{"info", "plan free 3 true"}, {"info", "user kp_1234566"}, {"debug", "d"},
		{"warn", "careful"}, {"error", "bad thing"},
	}
	if !reflect.DeepEqual(res.Console, want) {
		t.Errorf("console = %v, want %v", res.Console, want)
	}
}

func TestClaims(t *testing.T) {
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerTokensGeneration,
		Bindings: Bindings{"kinde.accessToken": {}, "kinde.idToken": {}}},
		func(e *TokensGenerationEvent) error {
			at := AccessTokenClaims()
			for _, err := range []error{
				at.Set("roles", []string{"admin", "billing"}),
				at.Set("n", 42),
				at.Set("exp", 1),                    // prohibited: dropped
				at.Set("n", 43),                     // last value wins
				IDTokenClaims().Set("auth_time", 5), // prohibited for ID tokens
				IDTokenClaims().Set("nick", map[string]string{"v": "<b>"}),
			} {
				if err != nil {
					return err
				}
			}
			if err := M2MTokenClaims().Set("x", 1); err == nil {
				return errors.New("m2m claims accepted in user:tokens_generation")
			}
			return nil
		})
	res, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerTokensGeneration))
	if err == nil || res.Failure.Code != FailureBinding {
		t.Fatalf("Run error = %v; want the undeclared kinde.m2mToken to fail the run", err)
	}
	want := map[string]json.RawMessage{"roles": json.RawMessage(`["admin","billing"]`), "n": json.RawMessage(`43`)}
	if !reflect.DeepEqual(res.AccessTokenClaims, want) {
		t.Errorf("access claims = %s", res.String())
	}
	if got := string(res.IDTokenClaims["nick"]); got != `{"v":"\u003cb\u003e"}` {
		t.Errorf("id nick = %s", got)
	}
	if !reflect.DeepEqual(res.DroppedClaims, []string{"accessToken:exp", "idToken:auth_time"}) {
		t.Errorf("dropped = %v", res.DroppedClaims)
	}
	if len(res.Console) != 2 || res.Console[0] != (ConsoleLine{"warn", `claim "exp" is reserved on the access token and was dropped`}) {
		t.Errorf("console = %v", res.Console)
	}
	if len(res.M2MTokenClaims) != 0 {
		t.Errorf("m2m claims = %v", res.M2MTokenClaims)
	}
}

func TestClaimValueNotEncodable(t *testing.T) {
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerTokensGeneration, Bindings: Bindings{"kinde.accessToken": {}}},
		func(*TokensGenerationEvent) error { return AccessTokenClaims().Set("f", func() {}) })
	_, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerTokensGeneration))
	if err == nil || !strings.Contains(err.Error(), `claim "f": value is not JSON-encodable`) {
		t.Fatalf("Run error = %v", err)
	}
}

func TestMFA(t *testing.T) {
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPreMFA, Bindings: Bindings{"kinde.mfa": {}}},
		func(e *PreMFAEvent) error {
			if err := SetEnforcementPolicy("maybe"); err == nil {
				return errors.New("policy maybe accepted")
			}
			if err := ChallengeWith("mfa:carrier_pigeon"); err == nil {
				return errors.New("unknown factor accepted")
			}
			if err := SetEnforcementPolicy(MFARequired); err != nil {
				return err
			}
			if err := ChallengeWith(FactorAuthenticatorApp, FactorBackupCode); err != nil {
				return err
			}
			return EnrollWith(FactorAuthenticatorApp)
		})
	res, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerPreMFA))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.String(), "mfa=required challengeWith=mfa:authenticator_app,mfa:backup_code enrollWith=mfa:authenticator_app"; got != want {
		t.Errorf("result %q, want %q", got, want)
	}
}

func TestFormFields(t *testing.T) {
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerExistingPasswordProvided, Bindings: Bindings{"kinde.widget": {}}},
		func(*ExistingPasswordProvidedEvent) error {
			err := InvalidateFormField("p_first_password", "no")
			var be *BindingError
			if !errors.As(err, &be) || be.Status != abi.StatusInvalidArgument || !strings.Contains(be.Message, "want one of p_password") {
				return errors.New("wrong field accepted or wrong error: " + err.Error())
			}
			return InvalidateFormField("p_password", "User or password not found")
		})
	res, err := (&TestHost{Workflow: w}).Run(t.Context(), sample(t, TriggerExistingPasswordProvided))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.FormErrors, map[string]string{"p_password": "User or password not found"}) {
		t.Errorf("form errors = %v", res.FormErrors)
	}
}

func TestPlanDenials(t *testing.T) {
	sel := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPlanSelection, Bindings: Bindings{"kinde.plan": {}}},
		func(*PlanSelectionEvent) error {
			if err := DenyPlanCancellation("wrong trigger"); err == nil {
				return errors.New("denyCancellation accepted in plan_selection")
			}
			return DenyPlanSelection("over the free limits", "reduce usage", "stay on pro")
		})
	res, err := (&TestHost{Workflow: sel}).Run(t.Context(), sample(t, TriggerPlanSelection))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&PlanDenial{"over the free limits", []string{"reduce usage", "stay on pro"}}); !reflect.DeepEqual(res.PlanDenied, want) {
		t.Errorf("plan denied = %+v", res.PlanDenied)
	}
	cancel := mustWorkflow(t, Settings{ID: "y", Trigger: TriggerPlanCancellationRequest, Bindings: Bindings{"kinde.plan": {}}},
		func(*PlanCancellationRequestEvent) error { return DenyPlanCancellation("minimum term is 12 months") })
	res, err = (&TestHost{Workflow: cancel}).Run(t.Context(), sample(t, TriggerPlanCancellationRequest))
	if err != nil {
		t.Fatal(err)
	}
	if res.PlanDenied == nil || res.PlanDenied.Reason != "minimum term is 12 months" || res.PlanDenied.Suggestions != nil {
		t.Errorf("plan denied = %+v", res.PlanDenied)
	}
}

func TestEnvironmentVariables(t *testing.T) {
	type got struct {
		v   *EnvironmentVariable
		err error
	}
	var seen []got
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPreRegistration, Bindings: Bindings{"kinde.env": {}}},
		func(*PreRegistrationEvent) error {
			for _, k := range []string{"API_KEY", "MISSING"} {
				v, err := GetEnvironmentVariable(k)
				seen = append(seen, got{v, err})
			}
			Log("key is", seen[0].v.Value)
			return errors.New("upstream rejected s3cret")
		})
	h := &TestHost{Workflow: w, Env: map[string]EnvironmentVariable{"API_KEY": {Value: "s3cret", IsSecret: true}}}
	res, err := h.Run(t.Context(), sample(t, TriggerPreRegistration))
	if err == nil || res.Failure.Message != "upstream rejected [redacted]" {
		t.Errorf("failure = %v; want the secret redacted", err)
	}
	if len(res.Console) != 1 || res.Console[0].Text != "key is [redacted]" {
		t.Errorf("console = %v; want the secret redacted", res.Console)
	}
	if seen[0].err != nil || *seen[0].v != (EnvironmentVariable{"s3cret", true}) {
		t.Errorf("API_KEY = %+v, %v", seen[0].v, seen[0].err)
	}
	if seen[1].v != nil || seen[1].err != nil {
		t.Errorf("MISSING = %+v, %v; want nil, nil", seen[1].v, seen[1].err)
	}
}

func TestFetchThroughHTTPFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		body := new(strings.Builder)
		if r.Body != nil {
			buf := make([]byte, 64)
			n, _ := r.Body.Read(buf)
			body.Write(buf[:n])
		}
		json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "path": r.URL.Path, "body": body.String()})
	}))
	defer srv.Close()

	type answer struct{ Method, Path, Body string }
	var got []answer
	var statuses []int
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPostAuthentication,
		Bindings: Bindings{"kinde.fetch": {}, "kinde.secureFetch": {}}},
		func(e *PostAuthenticationEvent) error {
			opts := &FetchOptions{Headers: map[string]string{"Authorization": "Bearer k"}, ResponseFormat: FormatJSON}
			for _, call := range []func() (*FetchResponse, error){
				func() (*FetchResponse, error) { return Fetch(srv.URL+"/users/"+e.Context.User.ID, opts) },
				func() (*FetchResponse, error) {
					o := *opts
					o.Body = JSONBody(map[string]string{"ip": e.Request.IP})
					return SecureFetch(srv.URL+"/secure", &o)
				},
				func() (*FetchResponse, error) { return Fetch(srv.URL+"/anon", nil) },
			} {
				resp, err := call()
				if err != nil {
					return err
				}
				statuses = append(statuses, resp.Status)
				if resp.Status == http.StatusOK {
					var a answer
					if err := resp.JSON(&a); err != nil {
						return err
					}
					got = append(got, a)
				}
			}
			return nil
		})
	res, err := (&TestHost{Workflow: w, Fetch: HTTPFetch(srv.Client())}).Run(t.Context(), sample(t, TriggerPostAuthentication))
	if err != nil {
		t.Fatal(err)
	}
	want := []answer{
		{"GET", "/users/kp_6e54d9612e8748b39557c9975bdba033", ""},
		{"POST", "/secure", `{"ip":"203.0.113.7"}`},
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(statuses, []int{200, 200, 401}) {
		t.Errorf("answers %+v statuses %v", got, statuses)
	}
	if len(res.Fetches) != 3 || res.Fetches[2].Method != "GET" || res.Fetches[1].Method != "POST" {
		t.Errorf("fetches = %+v", res.Fetches)
	}
}

func TestFetchFailures(t *testing.T) {
	var errs []error
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPreMFA, Bindings: Bindings{"kinde.fetch": {}}},
		func(*PreMFAEvent) error {
			for range 3 {
				_, err := Fetch("https://api.example.com/x", nil)
				errs = append(errs, err)
			}
			return nil
		})
	failing := func(context.Context, abi.FetchRequest) (abi.FetchResponse, error) {
		return abi.FetchResponse{}, errors.New("connection refused")
	}
	res, err := (&TestHost{Workflow: w, Fetch: failing, MaxFetchCalls: 2}).Run(t.Context(), sample(t, TriggerPreMFA))
	statusOf := func(err error) abi.Status {
		var be *BindingError
		if errors.As(err, &be) {
			return be.Status
		}
		return abi.StatusOK
	}
	if statusOf(errs[0]) != abi.StatusFetchFailed || !strings.Contains(errs[0].Error(), "connection refused") {
		t.Errorf("first fetch error = %v", errs[0])
	}
	if statusOf(errs[2]) != abi.StatusLimitExceeded {
		t.Errorf("third fetch error = %v", errs[2])
	}
	if err != nil {
		t.Errorf("Run error = %v; fetch failures the handler handles do not fail the run", err)
	}
	if len(res.Fetches) != 2 {
		t.Errorf("fetches = %v; the refused third call is not a fetch", res.Fetches)
	}
}

func TestHandlerFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler func(*PreMFAEvent) error
		event   string
		code    string
		message string
	}{
		{"error", func(*PreMFAEvent) error { return errors.New("upstream said no") }, `{}`, FailureWorkflow, "upstream said no"},
		{"panic", func(e *PreMFAEvent) error { var m map[string]int; m["x"] = 1; return nil }, `{}`, FailureWorkflow, "panic: assignment to entry in nil map"},
		{"bad event", func(*PreMFAEvent) error { return nil }, `{"context":{"mfa":{"enabledFactors":"sms"}}}`, FailureInvalidEvent, "decode user:pre_mfa event: JSON field \"enabledFactors\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPreMFA}, tt.handler)
			res, err := (&TestHost{Workflow: w}).Run(t.Context(), []byte(tt.event))
			if err == nil || res.Failure.Code != tt.code || !strings.Contains(res.Failure.Message, tt.message) {
				t.Fatalf("Run = %v, %v; want %s containing %q", res, err, tt.code, tt.message)
			}
		})
	}
}

func TestRawEvent(t *testing.T) {
	var raw []byte
	w := mustWorkflow(t, Settings{ID: "x", Trigger: TriggerPreMFA}, func(*PreMFAEvent) error {
		raw = RawEvent()
		return nil
	})
	ev := []byte(`{"context":{"custom":{"a":1}}}`)
	if _, err := (&TestHost{Workflow: w}).Run(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if string(raw) != string(ev) {
		t.Errorf("RawEvent() = %s", raw)
	}
	if RawEvent() != nil {
		t.Error("RawEvent outside a handler is not nil")
	}
}

func TestBindingOutsideRun(t *testing.T) {
	err := DenyAccess("x")
	var be *BindingError
	if !errors.As(err, &be) || be.Status != abi.StatusInternal || !strings.Contains(be.Message, "TestHost.Run") {
		t.Errorf("DenyAccess outside Run = %v", err)
	}
}

func TestRunWithoutWorkflow(t *testing.T) {
	saved := registered
	registered = nil
	t.Cleanup(func() { registered = saved })
	if res, err := (&TestHost{}).Run(t.Context(), []byte(`{}`)); res != nil || err == nil {
		t.Errorf("Run = %v, %v", res, err)
	}
}
