// A user:new_password_provided workflow that refuses passwords containing
// the company name, and logs the passwords carelessly: the worker must
// redact them.
package main

import (
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "newPasswordCheck", Trigger: gatehouse.TriggerNewPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.widget": {}}},
		func(e *gatehouse.NewPasswordProvidedEvent) error {
			a := e.Context.Auth
			gatehouse.Log("new password for", e.Context.User.Email, a.FirstPassword, a.SecondPassword, a.NewPasswordReason)
			if a.NewPasswordReason != "" && strings.Contains(strings.ToLower(a.FirstPassword), "acme") {
				return gatehouse.InvalidateFormField("p_first_password", "Do not use the company name in your password ("+a.NewPasswordReason+")")
			}
			return nil
		})
}

func main() {}
