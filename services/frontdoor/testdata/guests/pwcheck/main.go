// A user:existing_password_provided workflow that refuses the password of
// addresses starting with "legacy" (as a migration check would), and logs
// the password carelessly: the worker must redact it.
package main

import (
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "pwCheck", Trigger: gatehouse.TriggerExistingPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.widget": {}}},
		func(e *gatehouse.ExistingPasswordProvidedEvent) error {
			a := e.Context.Auth
			gatehouse.Log("checking", a.ProvidedEmail, "password", a.Password, "known", a.HasUserRecordInKinde)
			if strings.HasPrefix(a.ProvidedEmail, "legacy") && a.Password != "" && a.HasUserRecordInKinde {
				return gatehouse.InvalidateFormField("p_password", "Reset your password: the old one expired")
			}
			return nil
		})
}

func main() {}
