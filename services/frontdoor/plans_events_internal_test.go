package frontdoor

import (
	"encoding/json"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// TestPlanEventsAreTheSamples: the plan events have exactly the shape of
// the Kinde documentation's sample event objects, and decode in the Go
// SDK.
func TestPlanEventsAreTheSamples(t *testing.T) {
	var sel planSelectionEvent
	sel.Request.UserAgent, sel.Request.IP = "Mozilla/5.0", "192.168.0.1"
	sel.Context.Domains.KindeDomain = "https://example.kinde.com"
	sel.Context.Billing.CurrentPlanCode, sel.Context.Billing.RequestedPlanCode = "professional", "free"
	sel.Context.User.ID = "kp_1234566"
	sel.Context.Organization.Code = "org_123456"
	sel.Context.Workflow.Trigger = abi.TriggerPlanSelection
	wantPlanEventJSON(t, sel, `{"request":{"userAgent":"Mozilla/5.0","ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://example.kinde.com"},"billing":{"currentPlanCode":"professional","requestedPlanCode":"free"},"user":{"id":"kp_1234566"},"organization":{"code":"org_123456"},"workflow":{"trigger":"user:plan_selection"}}}`)
	var gsel gatehouse.PlanSelectionEvent
	roundTrip(t, sel, &gsel)
	if gsel.Context.Billing.CurrentPlanCode != "professional" || gsel.Context.Billing.RequestedPlanCode != "free" ||
		gsel.Context.User.ID != "kp_1234566" || gsel.Context.Organization.Code != "org_123456" ||
		gsel.Request.IP != "192.168.0.1" || gsel.Context.Workflow.Trigger != abi.TriggerPlanSelection {
		t.Errorf("plan selection event %+v", gsel)
	}
	// A user with no plan yet has an empty current plan code.
	sel.Context.Billing.CurrentPlanCode = ""
	sel.Context.Organization.Code = ""
	wantPlanEventJSON(t, sel, `{"request":{"userAgent":"Mozilla/5.0","ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://example.kinde.com"},"billing":{"currentPlanCode":"","requestedPlanCode":"free"},"user":{"id":"kp_1234566"},"organization":{},"workflow":{"trigger":"user:plan_selection"}}}`)

	var cancel planCancellationEvent
	cancel.Request.UserAgent, cancel.Request.IP = "Mozilla/5.0", "192.168.0.1"
	cancel.Context.Domains.KindeDomain = "https://example.kinde.com"
	cancel.Context.Billing.CurrentPlanCode = "pro"
	cancel.Context.Billing.AgreementID = "agreement_01971a7c5c7bf2d05888a8d6c77d08ce"
	cancel.Context.Workflow.Trigger = abi.TriggerPlanCancellationRequest
	wantPlanEventJSON(t, cancel, `{"request":{"userAgent":"Mozilla/5.0","ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://example.kinde.com"},"billing":{"currentPlanCode":"pro","agreementId":"agreement_01971a7c5c7bf2d05888a8d6c77d08ce"},"workflow":{"trigger":"user:plan_cancellation_request"}}}`)
	var gcancel gatehouse.PlanCancellationRequestEvent
	roundTrip(t, cancel, &gcancel)
	if gcancel.Context.Billing.CurrentPlanCode != "pro" || gcancel.Context.Billing.AgreementID != "agreement_01971a7c5c7bf2d05888a8d6c77d08ce" ||
		gcancel.Context.Domains.KindeDomain != "https://example.kinde.com" || gcancel.Context.Workflow.Trigger != abi.TriggerPlanCancellationRequest {
		t.Errorf("plan cancellation event %+v", gcancel)
	}
}

func wantPlanEventJSON(t *testing.T, v any, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("event\n%s\nwant\n%s", b, want)
	}
}
