//go:build !wasip1

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func event(ip string) []byte {
	return fmt.Appendf(nil, `{"request":{"ip":%q,"userAgent":"Mozilla/5.0","authUrlParams":{"clientId":"cad2d86b"}},"context":{"auth":{"connectionId":"conn_1","isNewUserRecordCreated":false},"user":{"id":"kp_6e54d961"},"workflow":{"trigger":"user:post_authentication"}}}`, ip)
}

func TestIPReputation(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ip/198.51.100.66":
			w.Write([]byte(`{"risk":"high","score":97}`))
		case "/ip/198.51.100.80":
			w.Write([]byte(`{"risk":"medium","score":80}`))
		case "/ip/203.0.113.7":
			w.Write([]byte(`{"risk":"low","score":3}`))
		default:
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}))
	defer api.Close()
	host := &gatehouse.TestHost{
		Env:   map[string]gatehouse.EnvironmentVariable{"IP_REPUTATION_URL": {Value: api.URL}},
		Fetch: gatehouse.HTTPFetch(api.Client()),
	}
	tests := []struct {
		ip   string
		deny bool
		warn bool
	}{
		{"198.51.100.66", true, false},
		{"198.51.100.80", true, false},
		{"203.0.113.7", false, false},
		{"192.0.2.1", false, true}, // API error: fail open
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			res, err := host.Run(t.Context(), event(tt.ip))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Denied != nil; got != tt.deny {
				t.Fatalf("denied = %v, want %v (%s)", got, tt.deny, res)
			}
			warned := len(res.Console) > 0 && res.Console[0].Level == "warn"
			if warned != tt.warn {
				t.Errorf("console = %v; want a warning: %v", res.Console, tt.warn)
			}
			if res.FailurePolicy != gatehouse.FailContinue {
				t.Errorf("failure policy = %q", res.FailurePolicy)
			}
		})
	}
}

func TestFailsOpenWhenUnreachable(t *testing.T) {
	host := &gatehouse.TestHost{} // no Fetch: every fetch fails
	res, err := host.Run(t.Context(), event("203.0.113.7"))
	if err != nil || res.Denied != nil || len(res.Console) != 1 || res.Console[0].Level != "warn" {
		t.Fatalf("Run = %v, %v; want allowed with a warning", res, err)
	}
}
