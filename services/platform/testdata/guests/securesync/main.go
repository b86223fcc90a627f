// Sends the new password to SYNC_URL with secureFetch; the receiver answers
// with what it decrypted, which the workflow logs (redacted by Gatehouse).
package main

import (
	"fmt"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "secureSync", Trigger: gatehouse.TriggerNewPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.env": {}, "kinde.secureFetch": {}}},
		func(e *gatehouse.NewPasswordProvidedEvent) error {
			url, err := gatehouse.GetEnvironmentVariable("SYNC_URL")
			if err != nil {
				return err
			}
			if url == nil {
				return fmt.Errorf("SYNC_URL is not set")
			}
			body := gatehouse.JSONBody(map[string]string{"email": e.Context.User.Email, "password": e.Context.Auth.FirstPassword})
			res, err := gatehouse.SecureFetch(url.Value, &gatehouse.FetchOptions{Body: body,
				Headers: map[string]string{"Content-Type": "text/plain"}})
			if err != nil {
				return err
			}
			gatehouse.Log("sync answered", res.Status)
			return nil
		})
}

func main() {}
