// A careless workflow: it reads a secret and logs it, puts it and the
// password in a form error, and sends it in a URL the egress guard refuses,
// logging the error. Gatehouse must redact the secret and the password from
// everything that leaves the worker.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "secretLeak", Trigger: gatehouse.TriggerNewPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.env": {}, "kinde.widget": {}, "kinde.fetch": {}}},
		func(e *gatehouse.NewPasswordProvidedEvent) error {
			key, err := gatehouse.GetEnvironmentVariable("API_KEY")
			if err != nil || key == nil {
				return gatehouse.InvalidateFormField("p_first_password", "API_KEY is not set")
			}
			plain, _ := gatehouse.GetEnvironmentVariable("PLAIN_SETTING")
			if plain != nil {
				gatehouse.Log("plain setting:", plain.Value)
			}
			gatehouse.Log("the api key is", key.Value, "and the password is", e.Context.Auth.FirstPassword)
			gatehouse.Log("as JSON:", gatehouse.JSONBody(map[string]string{"key": key.Value, "password": e.Context.Auth.FirstPassword}))
			if _, err := gatehouse.Fetch("http://127.0.0.1:1/?key="+key.Value, nil); err != nil {
				gatehouse.Error("fetch failed:", err.Error())
			}
			return gatehouse.InvalidateFormField("p_first_password", "key "+key.Value+" rejects "+e.Context.Auth.FirstPassword)
		})
}

func main() {}
