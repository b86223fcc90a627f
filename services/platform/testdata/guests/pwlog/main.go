// A careless password workflow: it logs the password and echoes it in a
// form error. Gatehouse must redact both.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "pwLog", Trigger: gatehouse.TriggerNewPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.widget": {}}},
		func(e *gatehouse.NewPasswordProvidedEvent) error {
			gatehouse.Log("the new password is", e.Context.Auth.FirstPassword)
			return gatehouse.InvalidateFormField("p_first_password", "we do not like "+e.Context.Auth.FirstPassword)
		})
}

func main() {}
