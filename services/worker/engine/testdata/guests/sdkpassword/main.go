// Command sdkpassword is a user:existing_password_provided test workflow
// built with the SDK.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "sdkPassword",
		Trigger:  gatehouse.TriggerExistingPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.widget": {}, "kinde.auth": {}},
	}, handle)
}

func handle(e *gatehouse.ExistingPasswordProvidedEvent) error {
	if err := gatehouse.InvalidateFormField("p_first_password", "not in this trigger"); err != nil {
		gatehouse.Warn(err.Error())
	}
	return gatehouse.InvalidateFormField("p_password", "Please choose a longer password")
}

func main() {}
