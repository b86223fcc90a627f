// Command securepasswordsync sends every new password to another system, so
// that an application not yet migrated to Gatehouse keeps accepting the
// password users set here: a port of Kinde's "Sync passwords to another
// system" example.
//
// When a password is set (sign-up, newPasswordReason "initial") or reset
// ("reset"), it sends
//
//	POST {PASSWORD_SYNC_URL}
//	Content-Type: text/plain
//	Authorization: Bearer {PASSWORD_SYNC_API_KEY}   (when that variable is set)
//
//	{"userId":"kp_…","email":"…","password":"…","reason":"initial|reset"}
//
// with SecureFetch, so the body leaves the worker encrypted with the
// workflow's active encryption key. userId is present in reset flows only:
// a user signing up has no id yet. Any 2xx answer is success. The password
// is not sent when the two password fields differ: a mistyped pair is not
// the password the user ends up with.
//
// # Failure policy
//
// A failed sync does not block the user: when PASSWORD_SYNC_URL is not set,
// the receiver is unreachable or it answers anything but 2xx, the workflow
// logs a warning and returns; its failure policy is "continue", so an
// unexpected failure does not block the user either. The other system then
// keeps the old password until the next change. Choose "stop" and return an
// error instead when the two systems must never disagree; users then cannot
// set a password while the receiver is down. The password is never logged,
// and neither is the receiver's answer.
//
// # Settings
//
// Trigger user:new_password_provided; bindings kinde.env, kinde.secureFetch;
// failure policy continue.
//
// # Environment variables
//
//   - PASSWORD_SYNC_URL: the receiver's endpoint (https). Unset: no call.
//   - PASSWORD_SYNC_API_KEY: optional, secret; sent as a bearer token so the
//     receiver can tell Gatehouse from other callers. Being a secret, its
//     value is redacted from logs.
//
// # Encryption key
//
// SecureFetch needs an active encryption key on this workflow (id
// "securePasswordSync"). Create one through the CLI or the management API
// and give its value, shown once (32 bytes in base64url), to the receiver.
// Without an active key the call fails and the password is not synced (a
// warning is logged).
//
// # Receiving side
//
// The request body is the unpadded base64url text of nonce ‖ tag ‖
// ciphertext (AES-256-GCM). A Go receiver decrypts it with the securefetch
// package of github.com/gatehouse-id/gatehouse/pkg:
//
//	key, err := securefetch.ParseKey(os.Getenv("GATEHOUSE_WORKFLOW_KEY"))
//	…
//	raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
//	plain, err := securefetch.Decrypt(key, string(raw))
//	if err != nil {
//		http.Error(w, "bad request", http.StatusBadRequest)
//		return
//	}
//	var req struct{ UserID, Email, Password, Reason string }
//	json.Unmarshal(plain, &req)
//	setPassword(req.Email, req.Password) // hash it; never store or log it in clear
//	w.WriteHeader(http.StatusNoContent)
package main

import (
	"errors"
	"net/url"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// Environment variables read by the workflow.
const (
	URLVariable    = "PASSWORD_SYNC_URL"
	APIKeyVariable = "PASSWORD_SYNC_API_KEY"
)

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:            "securePasswordSync",
		Name:          "Sync passwords to another system",
		Trigger:       gatehouse.TriggerNewPasswordProvided,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailContinue},
		Bindings: gatehouse.Bindings{
			"kinde.env":         {},
			"kinde.secureFetch": {},
		},
	}, handle)
}

// syncRequest is the plaintext of the encrypted request body.
type syncRequest struct {
	UserID   string `json:"userId,omitempty"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Reason   string `json:"reason"`
}

func handle(e *gatehouse.NewPasswordProvidedEvent) error {
	auth := e.Context.Auth
	switch {
	case auth.FirstPassword == "":
		gatehouse.Warn("password not synced: the event holds no password")
		return nil
	case auth.FirstPassword != auth.SecondPassword:
		gatehouse.Log("password not synced: the two password fields differ")
		return nil
	}
	endpoint, err := env(URLVariable)
	if err != nil {
		gatehouse.Warn("password not synced: read", URLVariable+":", err)
		return nil
	}
	if endpoint == "" {
		gatehouse.Warn("password not synced:", URLVariable, "is not set")
		return nil
	}
	headers := map[string]string{"Content-Type": "text/plain"}
	if key, err := env(APIKeyVariable); err != nil {
		gatehouse.Warn("password sync: read", APIKeyVariable+":", err, "(sending without it)")
	} else if key != "" {
		headers["Authorization"] = "Bearer " + key
	}
	host := hostOf(endpoint)

	resp, err := gatehouse.SecureFetch(endpoint, &gatehouse.FetchOptions{
		Method:  "POST",
		Headers: headers,
		Body: gatehouse.JSONBody(syncRequest{
			UserID:   e.Context.User.ID,
			Email:    e.Context.User.Email,
			Password: auth.FirstPassword,
			Reason:   auth.NewPasswordReason,
		}),
	})
	if err != nil {
		gatehouse.Warn("password not synced: the receiver", host, "could not be reached:", errorStatus(err))
		return nil
	}
	if resp.Status < 200 || resp.Status > 299 {
		gatehouse.Warn("password not synced: the receiver", host, "answered status", resp.Status)
		return nil
	}
	gatehouse.Log("password synced to", host, "("+auth.NewPasswordReason+")")
	return nil
}

// env returns the value of environment variable key, "" when it is not set.
func env(key string) (string, error) {
	v, err := gatehouse.GetEnvironmentVariable(key)
	if err != nil || v == nil {
		return "", err
	}
	return v.Value, nil
}

// hostOf returns the host of an endpoint, for log lines: the full URL may
// carry a token.
func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return "(invalid URL)"
}

// errorStatus names a binding failure by its status only: the host's
// message may quote the endpoint.
func errorStatus(err error) string {
	var be *gatehouse.BindingError
	if errors.As(err, &be) {
		return be.Status.String()
	}
	return "unknown error"
}

func main() {}
