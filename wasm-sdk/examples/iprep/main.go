// Command iprep blocks sign-ins from risky IP addresses: a port of Kinde's
// "Impossible travel" / IP reputation example.
//
// It calls GET {IP_REPUTATION_URL}/ip/{request.ip} (with
// "Authorization: Bearer {IP_REPUTATION_API_KEY}" when set) expecting
// {"risk":"low|medium|high","score":0-100} and denies access when the risk is
// "high" or the score is at least RiskScoreThreshold.
//
// It fails open: when the API is unreachable or answers anything but 200,
// the workflow logs a warning and allows the sign-in, and its failure policy
// is "continue", so even an unexpected failure does not lock users out.
// Choose "stop" instead when a missed check is worse than an outage.
//
// Settings: trigger user:post_authentication; bindings kinde.auth,
// kinde.fetch, kinde.env; failurePolicy continue.
package main

import (
	"net/url"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// DefaultAPIURL is used when IP_REPUTATION_URL is not set.
const DefaultAPIURL = "https://ip-reputation.example.com"

// RiskScoreThreshold is the score from which access is denied.
const RiskScoreThreshold = 80

// DenyReason is shown to the user.
const DenyReason = "Sign-in blocked: this network has a poor reputation. Contact support if you think this is a mistake."

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:            "ipReputation",
		Name:          "IP reputation check",
		Trigger:       gatehouse.TriggerPostAuthentication,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailContinue},
		Bindings: gatehouse.Bindings{
			"kinde.auth":  {},
			"kinde.fetch": {},
			"kinde.env":   {},
		},
	}, handle)
}

type reputation struct {
	Risk  string `json:"risk"`
	Score int    `json:"score"`
}

func handle(e *gatehouse.PostAuthenticationEvent) error {
	ip := e.Request.IP
	if ip == "" {
		return nil
	}
	// Text format: error pages need not be JSON; the body is parsed after
	// the status check.
	opts := &gatehouse.FetchOptions{Headers: map[string]string{}}
	if key := envOr("IP_REPUTATION_API_KEY", ""); key != "" {
		opts.Headers["Authorization"] = "Bearer " + key
	}
	resp, err := gatehouse.Fetch(envOr("IP_REPUTATION_URL", DefaultAPIURL)+"/ip/"+url.PathEscape(ip), opts)
	if err != nil {
		gatehouse.Warn("IP reputation check skipped:", err)
		return nil
	}
	if resp.Status != 200 {
		gatehouse.Warn("IP reputation check skipped: the API answered status", resp.Status)
		return nil
	}
	var rep reputation
	if err := resp.JSON(&rep); err != nil {
		gatehouse.Warn("IP reputation check skipped:", err)
		return nil
	}
	if rep.Risk == "high" || rep.Score >= RiskScoreThreshold {
		gatehouse.Log("denying", ip, "risk", rep.Risk, "score", rep.Score)
		return gatehouse.DenyAccess(DenyReason)
	}
	return nil
}

// envOr returns the environment variable key, or def when it is not set.
func envOr(key, def string) string {
	v, err := gatehouse.GetEnvironmentVariable(key)
	if err != nil || v == nil || v.Value == "" {
		return def
	}
	return v.Value
}

func main() {}
