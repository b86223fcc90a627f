// Command mfagraceperiod skips MFA for users who completed it recently: a
// port of Kinde's "Set a grace period for MFA" example.
//
// It asks an MFA history API when the user last completed MFA
// (GET {MFA_API_URL}/users/{userId}/last-mfa → {"lastMfaAt":"<RFC 3339>"}).
// Within GracePeriod MFA is skipped; otherwise, and whenever the API gives no
// usable answer, MFA is required: the workflow never weakens MFA by accident.
//
// Settings: trigger user:pre_mfa; bindings kinde.mfa, kinde.fetch, kinde.env.
// Environment variable MFA_API_URL (default DefaultAPIURL).
package main

import (
	"net/url"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// GracePeriod is how long a completed MFA counts.
const GracePeriod = 24 * time.Hour

// DefaultAPIURL is used when MFA_API_URL is not set.
const DefaultAPIURL = "https://mfa-history.example.com"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:      "mfaGracePeriod",
		Name:    "MFA grace period",
		Trigger: gatehouse.TriggerPreMFA,
		Bindings: gatehouse.Bindings{
			"kinde.mfa":   {},
			"kinde.fetch": {},
			"kinde.env":   {},
		},
	}, handle)
}

func handle(e *gatehouse.PreMFAEvent) error {
	last, ok := lastMFA(e.Context.User.ID)
	if ok && time.Since(last) < GracePeriod {
		gatehouse.Log("MFA completed", time.Since(last).Round(time.Minute), "ago: skipping")
		return gatehouse.SetEnforcementPolicy(gatehouse.MFASkip)
	}
	return gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)
}

// lastMFA returns when the user last completed MFA; ok is false when that is
// unknown.
func lastMFA(userID string) (time.Time, bool) {
	if userID == "" {
		return time.Time{}, false
	}
	resp, err := gatehouse.Fetch(apiURL()+"/users/"+url.PathEscape(userID)+"/last-mfa",
		&gatehouse.FetchOptions{ResponseFormat: gatehouse.FormatJSON})
	if err != nil {
		gatehouse.Warn("MFA history unavailable, requiring MFA:", err)
		return time.Time{}, false
	}
	if resp.Status != 200 {
		gatehouse.Warn("MFA history answered", resp.Status, "- requiring MFA")
		return time.Time{}, false
	}
	var body struct {
		LastMFAAt time.Time `json:"lastMfaAt"`
	}
	if err := resp.JSON(&body); err != nil || body.LastMFAAt.IsZero() {
		return time.Time{}, false
	}
	return body.LastMFAAt, true
}

func apiURL() string {
	v, err := gatehouse.GetEnvironmentVariable("MFA_API_URL")
	if err != nil || v == nil || v.Value == "" {
		return DefaultAPIURL
	}
	return v.Value
}

func main() {}
