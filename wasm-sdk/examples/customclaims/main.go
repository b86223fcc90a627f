// Command customclaims adds a user's entitlements from an external API to
// the access token: a port of Kinde's "Add custom claims to access token"
// example.
//
// It calls GET {ENTITLEMENTS_API_URL}/users/{userId}/entitlements, with
// "Authorization: Bearer {ENTITLEMENTS_API_KEY}" when that (secret) variable
// is set, expecting {"plan":"pro","features":["reports","sso"]}, and sets
// the access-token claims "plan" and "features". When the API fails the
// workflow fails, so tokens are not issued without the entitlements (failure
// policy stop).
//
// Settings: trigger user:tokens_generation; bindings kinde.accessToken,
// kinde.fetch, kinde.env. Environment variables ENTITLEMENTS_API_URL
// (default DefaultAPIURL) and ENTITLEMENTS_API_KEY (optional).
package main

import (
	"fmt"
	"net/url"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// DefaultAPIURL is used when ENTITLEMENTS_API_URL is not set.
const DefaultAPIURL = "https://entitlements.example.com"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:            "customClaims",
		Name:          "Custom access token claims",
		Trigger:       gatehouse.TriggerTokensGeneration,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailStop},
		Bindings: gatehouse.Bindings{
			"kinde.accessToken": {},
			"kinde.fetch":       {},
			"kinde.env":         {},
		},
	}, handle)
}

type entitlements struct {
	Plan     string   `json:"plan"`
	Features []string `json:"features"`
}

func handle(e *gatehouse.TokensGenerationEvent) error {
	base := envOr("ENTITLEMENTS_API_URL", DefaultAPIURL)
	opts := &gatehouse.FetchOptions{ResponseFormat: gatehouse.FormatJSON, Headers: map[string]string{"Accept": "application/json"}}
	if key := envOr("ENTITLEMENTS_API_KEY", ""); key != "" {
		opts.Headers["Authorization"] = "Bearer " + key
	}
	resp, err := gatehouse.Fetch(base+"/users/"+url.PathEscape(e.Context.User.ID)+"/entitlements", opts)
	if err != nil {
		return fmt.Errorf("entitlements API: %w", err)
	}
	if resp.Status != 200 {
		return fmt.Errorf("entitlements API answered status %d", resp.Status)
	}
	var ent entitlements
	if err := resp.JSON(&ent); err != nil {
		return fmt.Errorf("entitlements API: %w", err)
	}
	if ent.Features == nil {
		ent.Features = []string{}
	}
	claims := gatehouse.AccessTokenClaims()
	if err := claims.Set("plan", ent.Plan); err != nil {
		return err
	}
	return claims.Set("features", ent.Features)
}

// envOr returns the environment variable key, or def when it is not set.
func envOr(key, def string) string {
	v, err := gatehouse.GetEnvironmentVariable(key)
	if err != nil || v == nil || v.Value == "" {
		return def
	}
	return v.Value
}

func main() {}
