// A user:pre_mfa workflow driven by the authorization request's state:
// "mfadeny…" denies access, naming what the event said; "mfarequired…"
// requires MFA; anything else lets the sign-in through.
package main

import (
	"fmt"
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "preMFA", Trigger: gatehouse.TriggerPreMFA,
		Bindings: gatehouse.Bindings{"kinde.auth": {}, "kinde.mfa": {}}},
		func(e *gatehouse.PreMFAEvent) error {
			c := e.Context
			switch state := e.Request.AuthURLParams.State; {
			case strings.HasPrefix(state, "mfadeny"):
				return gatehouse.DenyAccess(fmt.Sprintf("pre-MFA denied %s in organization %q (policy %s, context %s, connection set %v, client set %v)",
					c.User.ID, c.Organization.Code, c.MFA.Policy, c.MFA.Context, c.Auth.ConnectionID != "", c.Application.ClientID != ""))
			case strings.HasPrefix(state, "mfarequired"):
				return gatehouse.SetEnforcementPolicy("required")
			}
			return nil
		})
}

func main() {}
