//go:build !wasip1

package main

import (
	"fmt"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// event is a user:pre_mfa event into organization org ("" = none).
func event(org string) []byte {
	o := ""
	if org != "" {
		o = fmt.Sprintf(`,"organization":{"code":%q}`, org)
	}
	return fmt.Appendf(nil, `{"request":{"ip":"192.168.0.1"},"context":{"auth":{"connectionId":"conn_1"},"mfa":{"policy":"required","context":"environment","enabledFactors":["mfa:sms","mfa:authenticator_app"]},"user":{"id":"kp_77d28fc7"}%s,"workflow":{"trigger":"user:pre_mfa"}}}`, o)
}

func TestSkipsListedOrganizations(t *testing.T) {
	host := &gatehouse.TestHost{Env: map[string]gatehouse.EnvironmentVariable{
		EnvSkipOrgs: {Value: " org_initech ,, org_globex"},
	}}
	tests := []struct {
		org  string
		want string // "" = the policy in force is kept
	}{
		{"org_75ad9f26d2c", gatehouse.MFASkip}, // SkipOrgs
		{"org_initech", gatehouse.MFASkip},     // MFA_SKIP_ORGS
		{"org_globex", gatehouse.MFASkip},
		{"org_acme", ""},
		{"org_initech_2", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run("org "+tt.org, func(t *testing.T) {
			res, err := host.Run(t.Context(), event(tt.org))
			if err != nil {
				t.Fatal(err)
			}
			if res.MFAPolicy != tt.want {
				t.Errorf("policy = %q, want %q (%s)", res.MFAPolicy, tt.want, res)
			}
		})
	}
	if len(SkipOrgs) != 1 {
		t.Errorf("the environment's organizations leaked into SkipOrgs: %v", SkipOrgs)
	}
}

// Without the variable only the built-in list applies.
func TestBuiltInListAlone(t *testing.T) {
	for org, want := range map[string]string{"org_75ad9f26d2c": gatehouse.MFASkip, "org_initech": ""} {
		res, err := (&gatehouse.TestHost{}).Run(t.Context(), event(org))
		if err != nil {
			t.Fatal(err)
		}
		if res.MFAPolicy != want {
			t.Errorf("%s: policy = %q, want %q (%s)", org, res.MFAPolicy, want, res)
		}
	}
}
