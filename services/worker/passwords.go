package worker

import (
	"encoding/json"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// passwordFields are the event fields of the password triggers that hold a
// password (context.auth.*), as in the Kinde docs.
type passwordFields struct {
	Context struct {
		Auth struct {
			Password       string `json:"password"`
			HashedPassword string `json:"hashedPassword"`
			FirstPassword  string `json:"firstPassword"`
			SecondPassword string `json:"secondPassword"`
		} `json:"auth"`
	} `json:"context"`
}

// minRedactedLen keeps redaction from mangling text around one- or
// two-character "passwords", which the frontdoor refuses anyway.
const minRedactedLen = 3

// passwords returns the password values of a password-trigger event, to be
// redacted from everything the execution produced. Other triggers carry none.
func passwords(t abi.Trigger, event []byte) []string {
	if t != abi.TriggerNewPasswordProvided && t != abi.TriggerExistingPasswordProvided {
		return nil
	}
	var f passwordFields
	if json.Unmarshal(event, &f) != nil {
		return nil
	}
	a := f.Context.Auth
	var out []string
	for _, p := range []string{a.Password, a.HashedPassword, a.FirstPassword, a.SecondPassword} {
		if len(p) >= minRedactedLen {
			out = append(out, p)
		}
	}
	return out
}
