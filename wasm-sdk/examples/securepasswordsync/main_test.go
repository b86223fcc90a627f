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
	syncURL  = "https://legacy.example.com/passwords"
	apiKey   = "sync-api-key-7f3a"
	password = "Correct-horse-42"
)

func event(userID, email, first, second, reason string) []byte {
	return fmt.Appendf(nil, `{"request":{"ip":"192.168.0.1","userAgent":"Mozilla/5.0"},"context":{"domains":{"kindeDomain":"https://auth.example.com"},"auth":{"firstPassword":%q,"secondPassword":%q,"newPasswordReason":%q},"user":{"id":%q,"email":%q},"workflow":{"trigger":"user:new_password_provided"}}}`,
		first, second, reason, userID, email)
}

// receiver stands in for the other system. It records the clear bodies it
// was sent and answers per email.
type receiver struct {
	t      *testing.T
	bodies []map[string]string
}

func (rc *receiver) serve(_ context.Context, req abi.FetchRequest) (abi.FetchResponse, error) {
	t := rc.t
	if req.Method != "POST" || req.URL != syncURL {
		t.Errorf("request %s %s; want POST %s", req.Method, req.URL, syncURL)
	}
	want := map[string]string{"Content-Type": "text/plain", "Authorization": "Bearer " + apiKey}
	if !reflect.DeepEqual(req.Headers, want) {
		t.Errorf("headers = %v, want %v", req.Headers, want)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(req.Body), &body); err != nil {
		t.Errorf("body is not a JSON object of strings: %v", err)
	}
	rc.bodies = append(rc.bodies, body)
	switch body["email"] {
	case "down@example.com":
		return abi.FetchResponse{Status: 503, Text: "unavailable"}, nil
	case "unreachable@example.com":
		return abi.FetchResponse{}, errors.New("connection refused")
	default:
		return abi.FetchResponse{Status: 204}, nil
	}
}

func host(t *testing.T) (*gatehouse.TestHost, *receiver) {
	rc := &receiver{t: t}
	return &gatehouse.TestHost{
		Env: map[string]gatehouse.EnvironmentVariable{
			URLVariable:    {Value: syncURL},
			APIKeyVariable: {Value: apiKey, IsSecret: true},
		},
		SecureFetch: rc.serve,
		Fetch: func(context.Context, abi.FetchRequest) (abi.FetchResponse, error) {
			t.Error("plain Fetch used: the password must go through SecureFetch")
			return abi.FetchResponse{}, errors.New("not allowed")
		},
	}, rc
}

// check asserts the run neither blocked the user nor logged the password.
func check(t *testing.T, res *gatehouse.TestResult, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if res.Denied != nil || res.FormErrors != nil || res.FailurePolicy != gatehouse.FailContinue {
		t.Errorf("result %s, failure policy %q; want allowed, continue", res, res.FailurePolicy)
	}
	for _, l := range res.Console {
		if strings.Contains(l.Text, password) {
			t.Errorf("the password reached the console: %q", l.Text)
		}
	}
}

func TestSyncsNewPassword(t *testing.T) {
	tests := []struct {
		name, userID, email, reason string
		want                        map[string]string
	}{
		{"reset", "kp_1234566", "hello@example.com", "reset",
			map[string]string{"userId": "kp_1234566", "email": "hello@example.com", "password": password, "reason": "reset"}},
		{"sign-up has no user id", "", "new@example.com", "initial",
			map[string]string{"email": "new@example.com", "password": password, "reason": "initial"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rc := host(t)
			res, err := h.Run(t.Context(), event(tt.userID, tt.email, password, password, tt.reason))
			check(t, res, err)
			if len(rc.bodies) != 1 || !reflect.DeepEqual(rc.bodies[0], tt.want) {
				t.Fatalf("receiver got %d bodies %v; want %v", len(rc.bodies), rc.bodies, tt.want)
			}
			if len(res.Console) != 1 || res.Console[0].Level != "info" || !strings.Contains(res.Console[0].Text, "password synced to legacy.example.com") {
				t.Errorf("console = %v; want one info line", res.Console)
			}
		})
	}
}

func TestReceiverFailureDoesNotBlock(t *testing.T) {
	for _, email := range []string{"down@example.com", "unreachable@example.com"} {
		t.Run(email, func(t *testing.T) {
			h, rc := host(t)
			res, err := h.Run(t.Context(), event("kp_1", email, password, password, "reset"))
			check(t, res, err)
			if len(rc.bodies) != 1 {
				t.Fatalf("receiver called %d times, want 1", len(rc.bodies))
			}
			if len(res.Console) != 1 || res.Console[0].Level != "warn" || !strings.Contains(res.Console[0].Text, "password not synced") {
				t.Errorf("console = %v; want one warning", res.Console)
			}
		})
	}
}

func TestNoCall(t *testing.T) {
	t.Run("URL not set", func(t *testing.T) {
		h, rc := host(t)
		delete(h.Env, URLVariable)
		res, err := h.Run(t.Context(), event("kp_1", "hello@example.com", password, password, "reset"))
		check(t, res, err)
		if len(res.Fetches) != 0 || len(rc.bodies) != 0 {
			t.Fatalf("fetches %v; want no call", res.Fetches)
		}
		if len(res.Console) != 1 || res.Console[0].Level != "warn" || !strings.Contains(res.Console[0].Text, URLVariable) {
			t.Errorf("console = %v; want a warning naming %s", res.Console, URLVariable)
		}
	})
	t.Run("passwords differ", func(t *testing.T) {
		h, rc := host(t)
		res, err := h.Run(t.Context(), event("kp_1", "hello@example.com", password, password+"x", "reset"))
		check(t, res, err)
		if len(res.Fetches) != 0 || len(rc.bodies) != 0 {
			t.Fatalf("fetches %v; want no call", res.Fetches)
		}
	})
}

func TestAPIKeyIsOptional(t *testing.T) {
	h, _ := host(t)
	delete(h.Env, APIKeyVariable)
	h.SecureFetch = func(context.Context, abi.FetchRequest) (abi.FetchResponse, error) {
		return abi.FetchResponse{Status: 200}, nil
	}
	res, err := h.Run(t.Context(), event("kp_1", "hello@example.com", password, password, "reset"))
	check(t, res, err)
	if len(res.Fetches) != 1 {
		t.Fatalf("%d fetches, want 1", len(res.Fetches))
	}
	if want := map[string]string{"Content-Type": "text/plain"}; !reflect.DeepEqual(res.Fetches[0].Headers, want) {
		t.Errorf("headers without an API key = %v, want %v", res.Fetches[0].Headers, want)
	}
}
