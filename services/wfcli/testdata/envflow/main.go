// Command envflow is a user:tokens_generation workflow for the wfcli tests:
// it turns environment variables into access-token claims, fails on demand
// and fetches a URL when told to.
package main

import (
	"errors"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:      "envFlow",
		Trigger: gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{
			"kinde.accessToken": {},
			"kinde.env":         {},
			"kinde.fetch":       {},
		},
	}, handle)
}

func handle(e *gatehouse.TokensGenerationEvent) error {
	claims := gatehouse.AccessTokenClaims()
	greeting, err := gatehouse.GetEnvironmentVariable("GREETING")
	if err != nil {
		return err
	}
	if greeting == nil {
		gatehouse.Log("GREETING is not set")
	} else if err := claims.Set("greeting", greeting.Value); err != nil {
		return err
	}
	key, err := gatehouse.GetEnvironmentVariable("API_KEY")
	if err != nil {
		return err
	}
	if key != nil {
		gatehouse.Log("api key is", key.Value)
		if err := claims.Set("api_key_secret", key.IsSecret); err != nil {
			return err
		}
	}
	if fail, err := gatehouse.GetEnvironmentVariable("FAIL_WITH"); err != nil {
		return err
	} else if fail != nil {
		return errors.New(fail.Value)
	}
	if u, err := gatehouse.GetEnvironmentVariable("FETCH_URL"); err != nil {
		return err
	} else if u != nil {
		resp, err := gatehouse.Fetch(u.Value, nil)
		if err != nil {
			return err
		}
		return claims.Set("fetched", resp.Text)
	}
	return nil
}

func main() {}
