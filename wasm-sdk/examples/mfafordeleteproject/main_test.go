//go:build !wasip1

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func event(userID string) []byte {
	return fmt.Appendf(nil, `{"request":{"ip":"192.168.0.1"},"context":{"auth":{"connectionId":"conn_1"},"mfa":{"policy":"optional","context":"organization","enabledFactors":["mfa:authenticator_app"]},"user":{"id":%q},"organization":{"code":"org_acme"},"application":{"clientId":"cee9743f"},"workflow":{"trigger":"user:pre_mfa"}}}`, userID)
}

// fga is an authorization service: the permissions of each user in
// org_acme, for requests with the right key.
func fga(t *testing.T) *httptest.Server {
	perms := map[string][]string{
		"kp_owner":  {"read:project", "delete:project"},
		"kp_viewer": {"read:project"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/permissions" || r.Header.Get("Authorization") != "Bearer fga-key" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var q struct{ UserID, OrgCode string }
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil || q.OrgCode != "org_acme" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if q.UserID == "kp_broken" {
			w.Write([]byte(`{"error":"not an array"}`))
			return
		}
		if q.UserID == "kp_down" {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(perms[q.UserID])
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRequiresMFAForDeleteProject(t *testing.T) {
	srv := fga(t)
	host := &gatehouse.TestHost{
		Env: map[string]gatehouse.EnvironmentVariable{
			"FGA_API_URL": {Value: srv.URL},
			"FGA_API_KEY": {Value: "fga-key", IsSecret: true},
		},
		Fetch: gatehouse.HTTPFetch(srv.Client()),
	}
	tests := []struct {
		user string
		want string // "" = the policy in force is kept
		warn bool
	}{
		{"kp_owner", gatehouse.MFARequired, false},
		{"kp_viewer", "", false},
		{"kp_nobody", "", false}, // null: no permissions
		{"kp_down", gatehouse.MFARequired, true},
		{"kp_broken", gatehouse.MFARequired, true},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			res, err := host.Run(t.Context(), event(tt.user))
			if err != nil {
				t.Fatal(err)
			}
			if res.MFAPolicy != tt.want {
				t.Errorf("policy = %q, want %q (%s)", res.MFAPolicy, tt.want, res)
			}
			if len(res.Fetches) != 1 || res.Fetches[0].Body != `{"orgCode":"org_acme","userId":"`+tt.user+`"}` {
				t.Errorf("fetches %+v", res.Fetches)
			}
			if got := hasWarning(res); got != tt.warn {
				t.Errorf("warning logged: %v, want %v (%s)", got, tt.warn, res)
			}
		})
	}
}

// Without the service, or with the wrong key, MFA is required.
func TestFailsClosed(t *testing.T) {
	srv := fga(t)
	for name, host := range map[string]*gatehouse.TestHost{
		"no URL":     {Fetch: gatehouse.HTTPFetch(srv.Client())},
		"wrong key":  {Env: map[string]gatehouse.EnvironmentVariable{"FGA_API_URL": {Value: srv.URL}, "FGA_API_KEY": {Value: "nope"}}, Fetch: gatehouse.HTTPFetch(srv.Client())},
		"no network": {Env: map[string]gatehouse.EnvironmentVariable{"FGA_API_URL": {Value: srv.URL}}},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := host.Run(t.Context(), event("kp_viewer"))
			if err != nil {
				t.Fatal(err)
			}
			if res.MFAPolicy != gatehouse.MFARequired || !hasWarning(res) {
				t.Errorf("policy = %q, want required with a warning (%s)", res.MFAPolicy, res)
			}
		})
	}
}

func hasWarning(res *gatehouse.TestResult) bool {
	for _, l := range res.Console {
		if l.Level == "warn" && strings.Contains(l.Text, "requiring MFA") {
			return true
		}
	}
	return false
}
