// A user:post_authentication workflow that denies sign-ins whose
// authorization request state starts with "deny".
package main

import (
	"fmt"
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "postAuthDeny", Trigger: gatehouse.TriggerPostAuthentication,
		Bindings: gatehouse.Bindings{"kinde.auth": {}}},
		func(e *gatehouse.PostAuthenticationEvent) error {
			if strings.HasPrefix(e.Request.AuthURLParams.State, "deny") && e.Context.User.ID != "" &&
				e.Context.Auth.ConnectionID != "" && e.Context.Application.ClientID != "" {
				return gatehouse.DenyAccess(fmt.Sprintf("sign-ins from this device are blocked (new user: %v)", e.Context.Auth.IsNewUserRecordCreated))
			}
			return nil
		})
}

func main() {}
