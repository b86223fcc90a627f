//go:build !wasip1

package main

import (
	"fmt"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// event is a user:pre_mfa event whose context.mfa.lastMfaAt is lastMFA
// (absent when empty).
func event(lastMFA string) []byte {
	last := ""
	if lastMFA != "" {
		last = fmt.Sprintf(`,"lastMfaAt":%q`, lastMFA)
	}
	return fmt.Appendf(nil, `{"request":{"ip":"192.168.0.1"},"context":{"mfa":{"policy":"required","context":"environment","enabledFactors":["mfa:authenticator_app"]%s},"user":{"id":"kp_77d28fc7"},"organization":{"code":"org_75ad9f26d2c"},"workflow":{"trigger":"user:pre_mfa"}}}`, last)
}

func TestGracePeriod(t *testing.T) {
	ago := func(d time.Duration) string { return time.Now().Add(-d).Format(time.RFC3339) }
	tests := []struct {
		name    string
		lastMFA string
		want    string
	}{
		{"recent MFA is skipped", ago(2 * time.Hour), gatehouse.MFASkip},
		{"MFA just now is skipped", ago(0), gatehouse.MFASkip},
		{"MFA a few seconds ahead (clock skew) is skipped", ago(-10 * time.Second), gatehouse.MFASkip},
		{"old MFA is required", ago(48 * time.Hour), gatehouse.MFARequired},
		{"MFA just past the grace period is required", ago(GracePeriod + time.Minute), gatehouse.MFARequired},
		{"never completed MFA is required", "", gatehouse.MFARequired},
		{"a malformed time requires MFA", "yesterday", gatehouse.MFARequired},
		{"a time in the future requires MFA", ago(-time.Hour), gatehouse.MFARequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := (&gatehouse.TestHost{}).Run(t.Context(), event(tt.lastMFA))
			if err != nil {
				t.Fatal(err)
			}
			if res.MFAPolicy != tt.want {
				t.Errorf("policy = %q, want %q (%s)", res.MFAPolicy, tt.want, res)
			}
			if len(res.Fetches) != 0 {
				t.Errorf("the workflow made %d fetches; it needs none", len(res.Fetches))
			}
		})
	}
}
