//go:build !wasip1

package gatehouse_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// run runs w on event in a TestHost and prints the outcome.
func run(h *gatehouse.TestHost, w *gatehouse.Workflow, event string) {
	h.Workflow = w
	res, err := h.Run(context.Background(), []byte(event))
	if res == nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(res)
	for _, l := range res.Console {
		fmt.Printf("console %s: %s\n", l.Level, l.Text)
	}
}

func ExampleDenyAccess() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "blockRange",
		Trigger:  gatehouse.TriggerPostAuthentication,
		Bindings: gatehouse.Bindings{"kinde.auth": {}},
	}, func(e *gatehouse.PostAuthenticationEvent) error {
		if strings.HasPrefix(e.Request.IP, "192.") {
			return gatehouse.DenyAccess("You are not allowed to access this resource")
		}
		return nil
	})
	run(&gatehouse.TestHost{}, w, `{"request":{"ip":"192.168.0.1"},"context":{}}`)
	run(&gatehouse.TestHost{}, w, `{"request":{"ip":"203.0.113.9"},"context":{}}`)
	// Output:
	// denied="You are not allowed to access this resource"
	// allowed
}

func ExampleClaims_Set() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "onTokens",
		Trigger:  gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.accessToken": {}, "kinde.idToken": {}},
	}, func(e *gatehouse.TokensGenerationEvent) error {
		at := gatehouse.AccessTokenClaims()
		if err := at.Set("hello", "Hello there!"); err != nil {
			return err
		}
		if err := at.Set("ipAddress", e.Request.IP); err != nil {
			return err
		}
		if err := at.Set("exp", 0); err != nil { // reserved: dropped, not an error
			return err
		}
		return gatehouse.IDTokenClaims().Set("userRole", "admin")
	})
	run(&gatehouse.TestHost{}, w, `{"request":{"ip":"192.168.0.1"},"context":{"user":{"id":"kp_1"}}}`)
	// Output:
	// accessToken.hello="Hello there!" accessToken.ipAddress="192.168.0.1" idToken.userRole="admin" dropped=accessToken:exp
	// console warn: claim "exp" is reserved on the access token and was dropped
}

func ExampleInvalidateFormField() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "passwordLength",
		Trigger:  gatehouse.TriggerNewPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.widget": {}},
	}, func(e *gatehouse.NewPasswordProvidedEvent) error {
		if len(e.Context.Auth.FirstPassword) < 12 {
			return gatehouse.InvalidateFormField("p_first_password", "Provide a password at least 12 characters long")
		}
		return nil
	})
	run(&gatehouse.TestHost{}, w, `{"context":{"auth":{"firstPassword":"short","secondPassword":"short"}}}`)
	// Output:
	// formError.p_first_password="Provide a password at least 12 characters long"
}

func ExampleSetEnforcementPolicy() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "preMFA",
		Trigger:  gatehouse.TriggerPreMFA,
		Bindings: gatehouse.Bindings{"kinde.mfa": {}},
	}, func(e *gatehouse.PreMFAEvent) error {
		if e.Context.Organization.Code == "org_trusted" {
			return gatehouse.SetEnforcementPolicy(gatehouse.MFASkip)
		}
		if err := gatehouse.SetEnforcementPolicy(gatehouse.MFARequired); err != nil {
			return err
		}
		return gatehouse.ChallengeWith(gatehouse.FactorAuthenticatorApp)
	})
	run(&gatehouse.TestHost{}, w, `{"context":{"organization":{"code":"org_trusted"}}}`)
	run(&gatehouse.TestHost{}, w, `{"context":{"organization":{"code":"org_other"}}}`)
	// Output:
	// mfa=skip
	// mfa=required challengeWith=mfa:authenticator_app
}

func ExampleDenyPlanSelection() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "planChange",
		Trigger:  gatehouse.TriggerPlanSelection,
		Bindings: gatehouse.Bindings{"kinde.plan": {}},
	}, func(e *gatehouse.PlanSelectionEvent) error {
		if e.Context.Billing.RequestedPlanCode == "free" {
			return gatehouse.DenyPlanSelection("Your usage is over the free plan's limits", "Remove unused projects")
		}
		return nil
	})
	run(&gatehouse.TestHost{}, w, `{"context":{"billing":{"currentPlanCode":"pro","requestedPlanCode":"free"}}}`)
	// Output:
	// planDenied="Your usage is over the free plan's limits" suggestions=["Remove unused projects"]
}

func ExampleFetch() {
	// A loopback server stands in for the external API.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"plan":"enterprise","seats":%d}`, 25)
	}))
	defer api.Close()

	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "entitlements",
		Trigger:  gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.fetch": {}, "kinde.env": {}, "kinde.accessToken": {}},
	}, func(e *gatehouse.TokensGenerationEvent) error {
		base, err := gatehouse.GetEnvironmentVariable("ENTITLEMENTS_URL")
		if err != nil || base == nil {
			return fmt.Errorf("ENTITLEMENTS_URL is not set: %v", err)
		}
		resp, err := gatehouse.Fetch(base.Value+"/users/"+e.Context.User.ID, &gatehouse.FetchOptions{
			ResponseFormat: gatehouse.FormatJSON,
		})
		if err != nil {
			return err
		}
		var ent struct {
			Plan  string `json:"plan"`
			Seats int    `json:"seats"`
		}
		if err := resp.JSON(&ent); err != nil {
			return err
		}
		gatehouse.Log("entitlements for", e.Context.User.ID, ent.Plan, ent.Seats)
		return gatehouse.AccessTokenClaims().Set("plan", ent.Plan)
	})
	run(&gatehouse.TestHost{
		Env:   map[string]gatehouse.EnvironmentVariable{"ENTITLEMENTS_URL": {Value: api.URL}},
		Fetch: gatehouse.HTTPFetch(api.Client()),
	}, w, `{"context":{"user":{"id":"kp_42"}}}`)
	// Output:
	// accessToken.plan="enterprise"
	// console info: entitlements for kp_42 enterprise 25
}

func ExampleBindingError() {
	// kinde.env is used without being declared: the call fails and the run
	// is recorded as failed, whatever the handler does with the error.
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:      "forgetful",
		Trigger: gatehouse.TriggerPreRegistration,
	}, func(e *gatehouse.PreRegistrationEvent) error {
		if _, err := gatehouse.GetEnvironmentVariable("API_KEY"); err != nil {
			gatehouse.Warn("no API key:", err)
		}
		return nil
	})
	run(&gatehouse.TestHost{}, w, `{"context":{}}`)
	// Output:
	// failure=binding_error: binding kinde.env is not declared in workflowSettings
	// console warn: no API key: kinde.env: binding_not_declared: binding kinde.env is not declared in workflowSettings
}

func ExampleDenyPlanCancellation() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "keepAnnualPlans",
		Trigger:  gatehouse.TriggerPlanCancellationRequest,
		Bindings: gatehouse.Bindings{"kinde.plan": {}},
	}, func(e *gatehouse.PlanCancellationRequestEvent) error {
		if e.Context.Billing.CurrentPlanCode == "pro_annual" {
			return gatehouse.DenyPlanCancellation("Annual plans can be cancelled at renewal")
		}
		return nil
	})
	run(&gatehouse.TestHost{}, w, `{"context":{"billing":{"currentPlanCode":"pro_annual","agreementId":"agreement_1"}}}`)
	run(&gatehouse.TestHost{}, w, `{"context":{"billing":{"currentPlanCode":"pro_monthly","agreementId":"agreement_2"}}}`)
	// Output:
	// planDenied="Annual plans can be cancelled at renewal"
	// allowed
}

func ExampleM2MTokenClaims() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "m2mOrg",
		Trigger:  gatehouse.TriggerM2MTokenGeneration,
		Bindings: gatehouse.Bindings{"kinde.m2mToken": {}},
	}, func(e *gatehouse.M2MTokenGenerationEvent) error {
		return gatehouse.M2MTokenClaims().Set("applicationId", e.Context.Application.ClientID)
	})
	run(&gatehouse.TestHost{}, w, `{"request":{"auth":{"audience":["api"],"scope":["read:users"]}},"context":{"application":{"clientId":"299627bd"}}}`)
	// Output:
	// m2mToken.applicationId="299627bd"
}

func ExampleGetEnvironmentVariable() {
	w, _ := gatehouse.NewWorkflow(gatehouse.Settings{
		ID:       "readsConfig",
		Trigger:  gatehouse.TriggerPreMFA,
		Bindings: gatehouse.Bindings{"kinde.env": {}},
	}, func(e *gatehouse.PreMFAEvent) error {
		region, err := gatehouse.GetEnvironmentVariable("REGION")
		if err != nil {
			return err
		}
		key, err := gatehouse.GetEnvironmentVariable("API_KEY")
		if err != nil {
			return err
		}
		missing, err := gatehouse.GetEnvironmentVariable("NOT_SET")
		if err != nil {
			return err
		}
		// Secret values are redacted wherever they would be logged.
		gatehouse.Log("region", region.Value, "key", key.Value, "secret:", key.IsSecret, "missing:", missing == nil)
		return nil
	})
	run(&gatehouse.TestHost{Env: map[string]gatehouse.EnvironmentVariable{
		"REGION":  {Value: "eu-west"},
		"API_KEY": {Value: "sk_live_123", IsSecret: true},
	}}, w, `{"context":{}}`)
	// Output:
	// allowed
	// console info: region eu-west key [redacted] secret: true missing: true
}
