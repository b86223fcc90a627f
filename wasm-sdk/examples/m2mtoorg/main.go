// Command m2mtoorg ties M2M applications to organizations: a port of Kinde's
// "Map M2M applications to organizations" example, for B2B API keys.
//
// The M2M application's client id (context.application.clientId) is looked
// up in the table below, then, when ORG_LOOKUP_URL is set, with
// GET {ORG_LOOKUP_URL}/applications/{clientId} → {"orgCode":"org_…"}. The
// organization code is added to the M2M access token as the "org_code"
// claim. An application mapped nowhere gets no claim.
//
// Settings: trigger m2m:token_generation; bindings kinde.m2mToken,
// kinde.fetch, kinde.env.
package main

import (
	"fmt"
	"net/url"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// orgByClientID maps M2M client ids to organization codes.
var orgByClientID = map[string]string{
	"299627bd8bfa493f8b17e6aec8ebfb86": "org_acme",
	"7c1e4b9a0d2f4e6b8a3c5d7e9f1a2b3c": "org_globex",
}

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:      "m2mToOrg",
		Name:    "Map M2M applications to organizations",
		Trigger: gatehouse.TriggerM2MTokenGeneration,
		Bindings: gatehouse.Bindings{
			"kinde.m2mToken": {},
			"kinde.fetch":    {},
			"kinde.env":      {},
		},
	}, handle)
}

func handle(e *gatehouse.M2MTokenGenerationEvent) error {
	clientID := e.Context.Application.ClientID
	org, err := orgFor(clientID)
	if err != nil {
		return err
	}
	if org == "" {
		gatehouse.Log("application", clientID, "is not mapped to an organization")
		return nil
	}
	return gatehouse.M2MTokenClaims().Set("org_code", org)
}

// orgFor returns the organization of clientID, "" when it has none.
func orgFor(clientID string) (string, error) {
	if org, ok := orgByClientID[clientID]; ok {
		return org, nil
	}
	base, err := gatehouse.GetEnvironmentVariable("ORG_LOOKUP_URL")
	if err != nil || base == nil || base.Value == "" {
		return "", nil
	}
	// Text format: a 404 page need not be JSON; the body is parsed after the
	// status check.
	resp, err := gatehouse.Fetch(base.Value+"/applications/"+url.PathEscape(clientID), nil)
	if err != nil {
		return "", fmt.Errorf("organization lookup: %w", err)
	}
	switch resp.Status {
	case 200:
	case 404:
		return "", nil
	default:
		return "", fmt.Errorf("organization lookup answered status %d", resp.Status)
	}
	var body struct {
		OrgCode string `json:"orgCode"`
	}
	if err := resp.JSON(&body); err != nil {
		return "", fmt.Errorf("organization lookup: %w", err)
	}
	return body.OrgCode, nil
}

func main() {}
