//go:build !wasip1

package main

import (
	"fmt"
	"strings"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func event(password string) []byte {
	return fmt.Appendf(nil, `{"request":{"ip":"192.168.0.1"},"context":{"auth":{"firstPassword":%q,"secondPassword":%q,"newPasswordReason":"initial"},"user":{"email":"hello@example.com"},"workflow":{"trigger":"user:new_password_provided"}}}`, password, password)
}

func TestPasswordRules(t *testing.T) {
	tests := []struct {
		password string
		want     string // "" = accepted
	}{
		{"Correct-horse-42", ""},
		{"Ünïcödé-pässwörd-7", ""},
		{"Short-1", "Your password needs at least 12 characters."},
		{"alllowercase-letters-1", "Your password needs an upper-case letter."},
		{"NoDigitsOrSymbolsHere", "Your password needs a digit, a symbol."},
		{"", "Your password needs at least 12 characters, an upper-case letter, a lower-case letter, a digit, a symbol."},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			res, err := (&gatehouse.TestHost{}).Run(t.Context(), event(tt.password))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.FormErrors[Field]; got != tt.want {
				t.Errorf("form error = %q, want %q", got, tt.want)
			}
			for _, l := range res.Console {
				if tt.password != "" && strings.Contains(l.Text, tt.password) {
					t.Errorf("the password was logged: %q", l.Text)
				}
			}
		})
	}
}
