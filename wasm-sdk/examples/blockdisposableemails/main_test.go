//go:build !wasip1

package main

import (
	"fmt"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func event(auth, user string) []byte {
	return fmt.Appendf(nil, `{"request":{"ip":"203.0.113.7","authUrlParams":{"clientId":"cad2d86b"}},"context":{"auth":{"connectionId":"conn_1"%s},"user":{%s},"workflow":{"trigger":"user:pre_registration"}}}`, auth, user)
}

func TestBlockDisposableEmails(t *testing.T) {
	tests := []struct {
		name  string
		event []byte
		deny  bool
	}{
		{"disposable provided email", event(`,"providedEmail":"someone@mailinator.com"`, ``), true},
		{"disposable subdomain, upper case", event(`,"providedEmail":"x@Mail.YOPMAIL.com"`, ``), true},
		{"user email fallback", event(``, `"email":"x@guerrillamail.com"`), true},
		{"permanent address", event(`,"providedEmail":"jane@example.com"`, ``), false},
		{"look-alike domain", event(`,"providedEmail":"jane@notmailinator.com"`, ``), false},
		{"no email", event(``, ``), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := (&gatehouse.TestHost{}).Run(t.Context(), tt.event)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Denied != nil; got != tt.deny {
				t.Fatalf("denied = %v, want %v (%s)", got, tt.deny, res)
			}
			if tt.deny && res.Denied.Reason != DenyReason {
				t.Errorf("reason = %q", res.Denied.Reason)
			}
		})
	}
}
