// A user:post_authentication workflow that lets every sign-in through: a
// module for the management API's deployment tests.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "mgmtHello", Name: "Management API test", Trigger: gatehouse.TriggerPostAuthentication},
		func(e *gatehouse.PostAuthenticationEvent) error {
			gatehouse.Log("signed in", e.Context.User.ID)
			return nil
		})
}

func main() {}
