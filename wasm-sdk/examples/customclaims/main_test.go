//go:build !wasip1

package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

const event = `{"request":{"auth":{"audience":["https://api.example.com"]},"ip":"192.168.0.1"},"context":{"auth":{"origin":"authorization_request","isExistingSession":false,"connectionId":"conn_12345"},"application":{"clientId":"299627bd"},"user":{"id":"kp_1234567890","identityId":"identity_1"},"organization":{"code":"org_123456789"},"workflow":{"trigger":"user:tokens_generation"}}}`

func TestCustomClaims(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer k-123":
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		case r.URL.Path == "/users/kp_1234567890/entitlements":
			w.Write([]byte(`{"plan":"pro","features":["reports","sso"]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	env := map[string]gatehouse.EnvironmentVariable{
		"ENTITLEMENTS_API_URL": {Value: api.URL},
		"ENTITLEMENTS_API_KEY": {Value: "k-123", IsSecret: true},
	}
	host := &gatehouse.TestHost{Env: env, Fetch: gatehouse.HTTPFetch(api.Client())}

	res, err := host.Run(t.Context(), []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.AccessTokenClaims["plan"]); got != `"pro"` {
		t.Errorf("plan = %s", got)
	}
	if got := string(res.AccessTokenClaims["features"]); got != `["reports","sso"]` {
		t.Errorf("features = %s", got)
	}

	// A wrong key: the API refuses and the workflow fails (policy stop).
	env["ENTITLEMENTS_API_KEY"] = gatehouse.EnvironmentVariable{Value: "wrong", IsSecret: true}
	res, err = host.Run(t.Context(), []byte(event))
	if err == nil || !strings.Contains(err.Error(), "status 401") || res.FailurePolicy != gatehouse.FailStop {
		t.Fatalf("Run = %v, %v; want a failure with policy stop", res, err)
	}
	if len(res.AccessTokenClaims) != 0 {
		t.Errorf("claims set despite the failure: %s", res)
	}
}
