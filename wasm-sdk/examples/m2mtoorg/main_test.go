//go:build !wasip1

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func event(clientID string) []byte {
	return fmt.Appendf(nil, `{"request":{"auth":{"audience":["https://api.example.com"],"scope":["read:users"]},"ip":"192.168.0.1"},"context":{"domains":{"kindeDomain":"https://example.kinde.com"},"application":{"clientId":%q},"workflow":{"trigger":"m2m:token_generation"}}}`, clientID)
}

func TestMapsApplicationToOrg(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/applications/app_from_api" {
			w.Write([]byte(`{"orgCode":"org_initech"}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer api.Close()
	host := &gatehouse.TestHost{
		Env:   map[string]gatehouse.EnvironmentVariable{"ORG_LOOKUP_URL": {Value: api.URL}},
		Fetch: gatehouse.HTTPFetch(api.Client()),
	}
	tests := []struct {
		clientID string
		want     string // the org_code claim JSON, "" = none
		fetches  int
	}{
		{"299627bd8bfa493f8b17e6aec8ebfb86", `"org_acme"`, 0},
		{"app_from_api", `"org_initech"`, 1},
		{"app_unknown", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.clientID, func(t *testing.T) {
			res, err := host.Run(t.Context(), event(tt.clientID))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(res.M2MTokenClaims["org_code"]); got != tt.want {
				t.Errorf("org_code = %q, want %q", got, tt.want)
			}
			if len(res.Fetches) != tt.fetches {
				t.Errorf("fetches = %d, want %d", len(res.Fetches), tt.fetches)
			}
		})
	}
}
