// Command custompasswordrules enforces a stricter password policy than the
// built-in one: a port of Kinde's "Custom password validation" example.
//
// A new password must be at least MinLength characters long and contain an
// upper-case letter, a lower-case letter, a digit and a symbol. A password
// that falls short is refused with a message next to the first password
// field listing what is missing. The password itself is never logged.
//
// Settings: trigger user:new_password_provided; binding kinde.widget.
package main

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// MinLength is the minimum number of characters.
const MinLength = 12

// Field is the form field the message is shown next to.
const Field = "p_first_password"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "customPasswordRules",
		Name:     "Custom password rules",
		Trigger:  gatehouse.TriggerNewPasswordProvided,
		Bindings: gatehouse.Bindings{"kinde.widget": {}},
	}, handle)
}

func handle(e *gatehouse.NewPasswordProvidedEvent) error {
	missing := check(e.Context.Auth.FirstPassword)
	if len(missing) == 0 {
		return nil
	}
	gatehouse.Log("password refused: missing", strings.Join(missing, ", "))
	return gatehouse.InvalidateFormField(Field, "Your password needs "+strings.Join(missing, ", ")+".")
}

// check returns what password lacks, in a fixed order.
func check(password string) []string {
	var upper, lower, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r):
			symbol = true
		}
	}
	var missing []string
	if utf8.RuneCountInString(password) < MinLength {
		missing = append(missing, "at least "+strconv.Itoa(MinLength)+" characters")
	}
	if !upper {
		missing = append(missing, "an upper-case letter")
	}
	if !lower {
		missing = append(missing, "a lower-case letter")
	}
	if !digit {
		missing = append(missing, "a digit")
	}
	if !symbol {
		missing = append(missing, "a symbol")
	}
	return missing
}

func main() {}
