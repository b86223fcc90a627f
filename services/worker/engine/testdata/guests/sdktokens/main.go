// Command sdktokens is a user:tokens_generation test workflow built with the
// SDK. The event's "test" object says what to do.
package main

import (
	"encoding/json"
	"fmt"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:      "sdkTokens",
		Name:    "SDK tokens test",
		Trigger: gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{
			"kinde.accessToken": {},
			"kinde.idToken":     {},
			"kinde.auth":        {},
			"kinde.env":         {},
			"kinde.fetch":       {},
		},
	}, handle)
}

type test struct {
	Test struct {
		Deny      string `json:"deny"`
		Env       string `json:"env"`
		Fetch     string `json:"fetch"`
		Prohibit  bool   `json:"prohibit"`
		Fail      string `json:"fail"`
		UseM2M    bool   `json:"useM2M"`
		PrintLine string `json:"print"`
	} `json:"test"`
}

func handle(e *gatehouse.TokensGenerationEvent) error {
	var t test
	if err := json.Unmarshal(gatehouse.RawEvent(), &t); err != nil {
		return err
	}
	gatehouse.Log("tokens for", e.Context.User.ID)
	if t.Test.PrintLine != "" {
		fmt.Println(t.Test.PrintLine)
	}
	if err := gatehouse.AccessTokenClaims().Set("ip", e.Request.IP); err != nil {
		return err
	}
	if err := gatehouse.AccessTokenClaims().Set("roles", []string{"admin", "dev"}); err != nil {
		return err
	}
	if err := gatehouse.IDTokenClaims().Set("nickname", "ace"); err != nil {
		return err
	}
	if t.Test.Prohibit {
		if err := gatehouse.AccessTokenClaims().Set("sub", "someone-else"); err != nil {
			return err
		}
		if err := gatehouse.IDTokenClaims().Set("auth_time", 1); err != nil {
			return err
		}
	}
	if t.Test.UseM2M {
		if err := gatehouse.M2MTokenClaims().Set("x", 1); err != nil {
			gatehouse.Warn("m2m claims:", err)
		}
	}
	if t.Test.Env != "" {
		v, err := gatehouse.GetEnvironmentVariable(t.Test.Env)
		if err != nil {
			return err
		}
		if v == nil {
			gatehouse.Log("env", t.Test.Env, "is not set")
		} else {
			gatehouse.Log("env", t.Test.Env, "=", v.Value, "secret:", v.IsSecret)
		}
	}
	if t.Test.Fetch != "" {
		resp, err := gatehouse.Fetch(t.Test.Fetch, &gatehouse.FetchOptions{ResponseFormat: gatehouse.FormatJSON})
		if err != nil {
			return err
		}
		var body struct {
			Tier string `json:"tier"`
		}
		if err := resp.JSON(&body); err != nil {
			return err
		}
		if err := gatehouse.AccessTokenClaims().Set("tier", body.Tier); err != nil {
			return err
		}
	}
	if t.Test.Deny != "" {
		if err := gatehouse.DenyAccess(t.Test.Deny); err != nil {
			return err
		}
	}
	if t.Test.Fail != "" {
		return fmt.Errorf("%s", t.Test.Fail)
	}
	return nil
}

func main() {}
