package frontdoor

import (
	"encoding/json"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// roundTrip encodes ev as the frontdoor sends it and decodes it as a Go
// workflow receives it.
func roundTrip(t *testing.T, ev any, into any) {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// TestEventsDecodeInTheSDK keeps the events' field names in step with the
// Go SDK's event types (and so with the Kinde documentation).
func TestEventsDecodeInTheSDK(t *testing.T) {
	var pw existingPasswordEvent
	pw.Request.IP, pw.Request.UserAgent = "192.0.2.1", "ua"
	pw.Context.Domains.KindeDomain = "https://id.example"
	pw.Context.Auth.ProvidedEmail, pw.Context.Auth.Password, pw.Context.Auth.HasUserRecordInKinde = "a@example.com", "pw", true
	pw.Context.Workflow.Trigger = abi.TriggerExistingPasswordProvided
	var gpw gatehouse.ExistingPasswordProvidedEvent
	roundTrip(t, pw, &gpw)
	if gpw.Request.IP != "192.0.2.1" || gpw.Request.UserAgent != "ua" || gpw.Context.Domains.KindeDomain != "https://id.example" ||
		gpw.Context.Auth.ProvidedEmail != "a@example.com" || gpw.Context.Auth.Password != "pw" || !gpw.Context.Auth.HasUserRecordInKinde ||
		gpw.Context.Workflow.Trigger != abi.TriggerExistingPasswordProvided {
		t.Errorf("existing password event %+v", gpw)
	}

	var pa postAuthenticationEvent
	pa.Request.IP, pa.Request.UserAgent = "192.0.2.1", "ua"
	pa.Request.AuthURLParams = eventAuthURLParams{State: "s", OrgCode: "org_1", ClientID: "c1", RedirectURI: "https://a/cb"}
	pa.Context.Auth.ConnectionID = "conn_1"
	pa.Context.User.ID = "kp_1"
	pa.Context.Application.ClientID = "c1"
	pa.Context.Workflow.Trigger = abi.TriggerPostAuthentication
	var gpa gatehouse.PostAuthenticationEvent
	roundTrip(t, pa, &gpa)
	if gpa.Request.AuthURLParams != (gatehouse.AuthURLParams{State: "s", OrgCode: "org_1", ClientID: "c1", RedirectURI: "https://a/cb"}) ||
		gpa.Context.Auth.ConnectionID != "conn_1" || gpa.Context.User.ID != "kp_1" || gpa.Context.Application.ClientID != "c1" ||
		gpa.Request.UserAgent != "ua" {
		t.Errorf("post-authentication event %+v", gpa)
	}

	var tg tokensGenerationEvent
	tg.Request.Auth = eventTokenAuth{Audience: []string{"c1"}, Scope: []string{"openid"}}
	tg.Request.IP = "192.0.2.1"
	tg.Context.Auth.Origin, tg.Context.Auth.IsExistingSession, tg.Context.Auth.ConnectionID = originRefresh, true, "conn_1"
	tg.Context.Application.ClientID = "c1"
	tg.Context.User.ID = "kp_1"
	tg.Context.Organization.Code = "org_1"
	var gtg gatehouse.TokensGenerationEvent
	roundTrip(t, tg, &gtg)
	if gtg.Request.Auth.Audience[0] != "c1" || gtg.Request.Auth.Scope[0] != "openid" || gtg.Request.IP != "192.0.2.1" ||
		gtg.Context.Auth.Origin != "refresh_token_request" || !gtg.Context.Auth.IsExistingSession || gtg.Context.Auth.ConnectionID != "conn_1" ||
		gtg.Context.Application.ClientID != "c1" || gtg.Context.User.ID != "kp_1" || gtg.Context.Organization.Code != "org_1" {
		t.Errorf("tokens generation event %+v", gtg)
	}

	var m m2mTokenEvent
	m.Request.Auth = eventTokenAuth{Audience: []string{"https://api"}, Scope: []string{"read"}}
	m.Request.IP = "192.0.2.1"
	m.Context.Application.ClientID = "c1"
	m.Context.Workflow.Trigger = abi.TriggerM2MTokenGeneration
	var gm gatehouse.M2MTokenGenerationEvent
	roundTrip(t, m, &gm)
	if gm.Request.Auth.Audience[0] != "https://api" || gm.Request.Auth.Scope[0] != "read" || gm.Request.IP != "192.0.2.1" ||
		gm.Context.Application.ClientID != "c1" || gm.Context.Workflow.Trigger != abi.TriggerM2MTokenGeneration {
		t.Errorf("M2M event %+v", gm)
	}
}
