//go:build !wasip1

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

const event = `{"request":{"ip":"192.168.0.1"},"context":{"mfa":{"policy":"required","context":"environment","enabledFactors":["mfa:authenticator_app"]},"user":{"id":"kp_77d28fc7"},"organization":{"code":"org_75ad9f26d2c"},"workflow":{"trigger":"user:pre_mfa"}}}`

func TestGracePeriod(t *testing.T) {
	lastMFA := map[string]string{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, ok := lastMFA[r.URL.Path]
		if !ok {
			http.Error(w, `{"error":"down"}`, http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `{"lastMfaAt":%q}`, at)
	}))
	defer api.Close()
	host := &gatehouse.TestHost{
		Env:   map[string]gatehouse.EnvironmentVariable{"MFA_API_URL": {Value: api.URL}},
		Fetch: gatehouse.HTTPFetch(api.Client()),
	}
	tests := []struct {
		name    string
		lastMFA string // "" = the API fails
		want    string
	}{
		{"recent MFA is skipped", time.Now().Add(-2 * time.Hour).Format(time.RFC3339), gatehouse.MFASkip},
		{"old MFA is required", time.Now().Add(-48 * time.Hour).Format(time.RFC3339), gatehouse.MFARequired},
		{"API failure requires MFA", "", gatehouse.MFARequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clear(lastMFA)
			if tt.lastMFA != "" {
				lastMFA["/users/kp_77d28fc7/last-mfa"] = tt.lastMFA
			}
			res, err := host.Run(t.Context(), []byte(event))
			if err != nil {
				t.Fatal(err)
			}
			if res.MFAPolicy != tt.want {
				t.Errorf("policy = %q, want %q (%s)", res.MFAPolicy, tt.want, res)
			}
		})
	}
}
