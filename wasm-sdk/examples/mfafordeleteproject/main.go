// Command mfafordeleteproject requires MFA from users who hold the
// delete:project permission: a port of Kinde's pre-MFA examples "Making MFA
// required if a user has a certain permission" and "Determining if MFA is
// required based on data in an external service".
//
// The user:pre_mfa event carries no permissions (nor roles), so, as in
// Kinde's example, the workflow asks a fine-grained authorization service
// (OpenFGA, Zanzibar-style) which permissions the user holds in the
// organization they are signing in to:
//
//	POST {FGA_API_URL}/permissions
//	Authorization: Bearer {FGA_API_KEY}
//	{"userId":"kp_…","orgCode":"org_…"}
//	→ 200 ["read:project","delete:project",…]
//
// A user holding SensitivePermission must complete MFA. Anyone else keeps
// the policy of the environment or organization: the workflow only ever
// makes MFA stricter. When the service cannot answer (not configured,
// unreachable, an error status, an unexpected body), MFA is required:
// failing closed, with a warning.
//
// Settings: trigger user:pre_mfa; bindings kinde.mfa, kinde.fetch,
// kinde.env. Environment variables FGA_API_URL (https) and FGA_API_KEY (a
// secret; optional).
package main

import (
	"errors"
	"fmt"
	"slices"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// SensitivePermission is the permission that requires MFA.
const SensitivePermission = "delete:project"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:      "mfaForDeleteProject",
		Name:    "Require MFA for delete:project",
		Trigger: gatehouse.TriggerPreMFA,
		Bindings: gatehouse.Bindings{
			"kinde.mfa":   {},
			"kinde.fetch": {},
			"kinde.env":   {},
		},
	}, handle)
}

func handle(e *gatehouse.PreMFAEvent) error {
	perms, err := permissions(e.Context.User.ID, e.Context.Organization.Code)
	if err != nil {
		gatehouse.Warn("permission check failed, requiring MFA:", err)
		return gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)
	}
	if slices.Contains(perms, SensitivePermission) {
		gatehouse.Log("the user holds", SensitivePermission, "- requiring MFA")
		return gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)
	}
	return nil
}

// permissions asks the authorization service for the permissions of
// userID in orgCode ("" when the sign-in is into no organization).
func permissions(userID, orgCode string) ([]string, error) {
	base, err := gatehouse.GetEnvironmentVariable("FGA_API_URL")
	if err != nil {
		return nil, fmt.Errorf("read FGA_API_URL: %w", err)
	}
	if base == nil || base.Value == "" {
		return nil, errors.New("FGA_API_URL is not set")
	}
	headers := map[string]string{"Content-Type": "application/json"}
	key, err := gatehouse.GetEnvironmentVariable("FGA_API_KEY")
	if err != nil {
		return nil, fmt.Errorf("read FGA_API_KEY: %w", err)
	}
	if key != nil && key.Value != "" {
		headers["Authorization"] = "Bearer " + key.Value
	}
	// Text format: an error page need not be JSON; the body is parsed after
	// the status check.
	resp, err := gatehouse.Fetch(base.Value+"/permissions", &gatehouse.FetchOptions{
		Method:  "POST",
		Headers: headers,
		Body:    gatehouse.JSONBody(map[string]string{"userId": userID, "orgCode": orgCode}),
	})
	if err != nil {
		return nil, fmt.Errorf("permission lookup: %w", err)
	}
	if resp.Status != 200 {
		return nil, fmt.Errorf("permission lookup answered status %d", resp.Status)
	}
	var perms []string
	if err := resp.JSON(&perms); err != nil {
		return nil, fmt.Errorf("permission lookup: %w", err)
	}
	return perms, nil
}

func main() {}
