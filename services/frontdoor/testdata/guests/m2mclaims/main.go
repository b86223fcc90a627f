// Adds claims to M2M tokens from the m2m:token_generation event.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "m2mClaims", Name: "M2M claims", Trigger: gatehouse.TriggerM2MTokenGeneration,
		Bindings: gatehouse.Bindings{"kinde.m2mToken": {}}},
		func(e *gatehouse.M2MTokenGenerationEvent) error {
			c := gatehouse.M2MTokenClaims()
			if err := c.Set("tier", "gold"); err != nil {
				return err
			}
			if err := c.Set("client", e.Context.Application.ClientID); err != nil {
				return err
			}
			if err := c.Set("requested_audience", e.Request.Auth.Audience); err != nil {
				return err
			}
			if err := c.Set("trigger", string(e.Context.Workflow.Trigger)); err != nil {
				return err
			}
			return c.Set("sub", "forged")
		})
}

func main() {}
