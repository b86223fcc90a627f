//go:build !wasip1

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

const (
	legacyURL = "https://legacy.example.com/auth/verify"
	password  = "someSecurePassword"
)

func event(email string, hasRecord bool) []byte {
	return fmt.Appendf(nil, `{"request":{"ip":"192.168.0.1","userAgent":"Mozilla/5.0"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"auth":{"providedEmail":%q,"password":%q,"hashedPassword":"someHash","hasUserRecordInKinde":%t},"user":{"id":"kp_1234566"},"workflow":{"trigger":"user:existing_password_provided"}}}`,
		email, password, hasRecord)
}

// legacy stands in for the legacy system: it checks the request the way a
// receiver would and answers per email.
func legacy(t *testing.T) func(context.Context, abi.FetchRequest) (abi.FetchResponse, error) {
	return func(_ context.Context, req abi.FetchRequest) (abi.FetchResponse, error) {
		if req.Method != "POST" || req.URL != legacyURL {
			t.Errorf("request %s %s; want POST %s", req.Method, req.URL, legacyURL)
		}
		if got := req.Headers["Content-Type"]; got != "text/plain" {
			t.Errorf("Content-Type = %q, want text/plain (the body on the wire is encrypted text)", got)
		}
		var body map[string]string
		if err := json.Unmarshal([]byte(req.Body), &body); err != nil {
			t.Errorf("body %q is not JSON: %v", req.Body, err)
		}
		if len(body) != 2 || body["email"] == "" || body["password"] != password {
			t.Errorf("body has keys %v; want the email and the password", keys(body))
		}
		switch body["email"] {
		case "valid@example.com":
			return abi.FetchResponse{Status: 200, Text: `{"valid":true}`}, nil
		case "wrong@example.com":
			return abi.FetchResponse{Status: 200, Text: `{"valid":false}`}, nil
		case "unauthorized@example.com":
			return abi.FetchResponse{Status: 401, Text: `{"error":"invalid credentials"}`}, nil
		case "unknown@example.com":
			return abi.FetchResponse{Status: 404, Text: "not found"}, nil
		case "garbled@example.com":
			return abi.FetchResponse{Status: 200, Text: "<html>maintenance</html>"}, nil
		case "down@example.com":
			return abi.FetchResponse{Status: 503, Text: "unavailable"}, nil
		default:
			return abi.FetchResponse{}, errors.New("connection refused")
		}
	}
}

func host(t *testing.T) *gatehouse.TestHost {
	return &gatehouse.TestHost{
		Env:         map[string]gatehouse.EnvironmentVariable{URLVariable: {Value: legacyURL}},
		SecureFetch: legacy(t),
		Fetch: func(context.Context, abi.FetchRequest) (abi.FetchResponse, error) {
			t.Error("plain Fetch used: the password must go through SecureFetch")
			return abi.FetchResponse{}, errors.New("not allowed")
		},
	}
}

// noPassword fails when the password reached the console.
func noPassword(t *testing.T, res *gatehouse.TestResult) {
	t.Helper()
	for _, l := range res.Console {
		if strings.Contains(l.Text, password) {
			t.Errorf("the password reached the console: %q", l.Text)
		}
	}
}

func TestVerifiesAgainstLegacySystem(t *testing.T) {
	tests := []struct {
		email     string
		formError bool
		warn      bool
	}{
		{"valid@example.com", false, false},
		{"wrong@example.com", true, false},
		{"unauthorized@example.com", true, false},
		{"unknown@example.com", true, false},
		// Receiver failures: not blocked, a warning.
		{"garbled@example.com", false, true},
		{"down@example.com", false, true},
		{"unreachable@example.com", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			res, err := host(t).Run(t.Context(), event(tt.email, false))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Fetches) != 1 {
				t.Fatalf("%d fetches, want 1", len(res.Fetches))
			}
			var want map[string]string
			if tt.formError {
				want = map[string]string{"p_password": "User or password not found"}
			}
			if !reflect.DeepEqual(res.FormErrors, want) {
				t.Errorf("form errors = %v, want %v", res.FormErrors, want)
			}
			if got := hasLevel(res, "warn"); got != tt.warn {
				t.Errorf("console %v: warning %v, want %v", res.Console, got, tt.warn)
			}
			if res.Denied != nil || res.FailurePolicy != gatehouse.FailContinue {
				t.Errorf("result %s, failure policy %q", res, res.FailurePolicy)
			}
			noPassword(t, res)
		})
	}
}

func TestExistingUserIsNotChecked(t *testing.T) {
	res, err := host(t).Run(t.Context(), event("wrong@example.com", true))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fetches) != 0 || res.FormErrors != nil || len(res.Console) != 0 {
		t.Fatalf("existing user: fetches %v, result %s, console %v; want nothing", res.Fetches, res, res.Console)
	}
}

func TestNoCallWithoutURL(t *testing.T) {
	h := host(t)
	h.Env = nil
	res, err := h.Run(t.Context(), event("wrong@example.com", false))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fetches) != 0 || res.FormErrors != nil {
		t.Fatalf("no %s: fetches %v, result %s; want no call", URLVariable, res.Fetches, res)
	}
	if !hasLevel(res, "warn") || !strings.Contains(res.Console[0].Text, URLVariable) {
		t.Errorf("console %v; want a warning naming %s", res.Console, URLVariable)
	}
}

func hasLevel(res *gatehouse.TestResult, level string) bool {
	for _, l := range res.Console {
		if l.Level == level {
			return true
		}
	}
	return false
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
