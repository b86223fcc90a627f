// Command mfaskiporg skips MFA for a few organizations: a port of Kinde's
// pre-MFA example "Skipping MFA for certain organizations" (MFA is required
// across the environment, but some organizations do not adopt the policy).
//
// The organizations are those in SkipOrgs plus those listed, comma
// separated, in the environment variable MFA_SKIP_ORGS
// ("org_a1b2c3, org_d4e5f6"), so that one can be added without a new
// deployment. A sign-in into any other organization, or into none, keeps
// the policy in force. When the variable cannot be read the workflow goes
// on with SkipOrgs alone, with a warning.
//
// Settings: trigger user:pre_mfa; bindings kinde.mfa, kinde.env.
package main

import (
	"slices"
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// SkipOrgs are the organizations whose members never do MFA.
var SkipOrgs = []string{"org_75ad9f26d2c"}

// EnvSkipOrgs names the environment variable with more organizations.
const EnvSkipOrgs = "MFA_SKIP_ORGS"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:      "mfaSkipOrg",
		Name:    "Skip MFA for some organizations",
		Trigger: gatehouse.TriggerPreMFA,
		Bindings: gatehouse.Bindings{
			"kinde.mfa": {},
			"kinde.env": {},
		},
	}, handle)
}

func handle(e *gatehouse.PreMFAEvent) error {
	org := e.Context.Organization.Code
	if org == "" || !slices.Contains(skipOrgs(), org) {
		return nil
	}
	gatehouse.Log("organization", org, "does not use MFA: skipping")
	return gatehouse.SetEnforcementPolicy(gatehouse.MFASkip)
}

// skipOrgs returns SkipOrgs and the organizations of EnvSkipOrgs.
func skipOrgs() []string {
	orgs := SkipOrgs
	v, err := gatehouse.GetEnvironmentVariable(EnvSkipOrgs)
	if err != nil {
		gatehouse.Warn("cannot read", EnvSkipOrgs, "- using the built-in list:", err)
		return orgs
	}
	if v == nil {
		return orgs
	}
	for _, code := range strings.Split(v.Value, ",") {
		if code = strings.TrimSpace(code); code != "" {
			orgs = append(slices.Clip(orgs), code)
		}
	}
	return orgs
}

func main() {}
