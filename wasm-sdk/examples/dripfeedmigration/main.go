// Command dripfeedmigration checks the password of a user who is not yet in
// Gatehouse against the legacy system they are migrating from: a port of
// Kinde's "Drip feed migration" example.
//
// On sign-in, when context.auth.hasUserRecordInKinde is false, it sends
//
//	POST {LEGACY_AUTH_URL}
//	Content-Type: text/plain
//
//	{"email":"<providedEmail>","password":"<password>"}
//
// with SecureFetch, so the body leaves the worker encrypted with the
// workflow's active encryption key. The legacy system answers 200 with
// {"valid":true} or {"valid":false}; 401, 403 and 404 also mean "wrong
// password or unknown user". Then the workflow shows "User or password not
// found" next to the password field (p_password). When the password is
// valid the sign-in continues. Kinde's version then creates the user through
// the management API; here that step belongs to the legacy system, which
// has just verified the email and password and can create the user through
// the management API's users endpoint, so the workflow holds no management
// credentials.
//
// Users who already exist in Gatehouse are not checked: no call is made.
// When LEGACY_AUTH_URL is not set the workflow does nothing (it logs a
// warning), so it can be deployed before the legacy side is ready.
//
// It fails open: when the legacy system is unreachable or answers anything
// else (a 5xx, a body that is not the JSON above) the workflow logs a
// warning and shows no form error, so an outage is never reported to users
// as a wrong password; failure policy "continue" does the same for
// unexpected failures. The password is never logged, and neither is the
// legacy system's answer.
//
// # Settings
//
// Trigger user:existing_password_provided; bindings kinde.env,
// kinde.secureFetch, kinde.widget; failure policy continue.
//
// # Environment variables
//
//   - LEGACY_AUTH_URL: the legacy system's verification endpoint (https).
//     Unset: the workflow makes no call.
//
// # Encryption key
//
// SecureFetch needs an active encryption key on this workflow (id
// "dripFeedMigration"). Create one through the CLI or the management API
// and give its value, shown once (32 bytes in base64url), to the legacy
// system. Without an active key the call fails and the sign-in continues
// with a warning.
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
//	var req struct{ Email, Password string }
//	json.Unmarshal(plain, &req)
//	json.NewEncoder(w).Encode(map[string]bool{"valid": checkPassword(req.Email, req.Password)})
package main

import (
	"errors"
	"net/url"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// Field is the form field the message is shown next to.
const Field = "p_password"

// NotFoundMessage is shown when the legacy system refuses the password.
const NotFoundMessage = "User or password not found"

// URLVariable names the environment variable holding the legacy endpoint.
const URLVariable = "LEGACY_AUTH_URL"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:            "dripFeedMigration",
		Name:          "Drip feed migration",
		Trigger:       gatehouse.TriggerExistingPasswordProvided,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailContinue},
		Bindings: gatehouse.Bindings{
			"kinde.env":         {},
			"kinde.secureFetch": {},
			"kinde.widget":      {},
		},
	}, handle)
}

// verifyRequest is the plaintext of the encrypted request body.
type verifyRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// verifyResponse is the legacy system's answer.
type verifyResponse struct {
	Valid *bool `json:"valid"`
}

func handle(e *gatehouse.ExistingPasswordProvidedEvent) error {
	auth := e.Context.Auth
	if auth.HasUserRecordInKinde {
		return nil
	}
	endpoint, err := env(URLVariable)
	if err != nil {
		gatehouse.Warn("drip-feed migration skipped: read", URLVariable+":", err)
		return nil
	}
	if endpoint == "" {
		gatehouse.Warn("drip-feed migration skipped:", URLVariable, "is not set")
		return nil
	}
	host := hostOf(endpoint)

	resp, err := gatehouse.SecureFetch(endpoint, &gatehouse.FetchOptions{
		Method:  "POST",
		Headers: map[string]string{"Content-Type": "text/plain", "Accept": "application/json"},
		Body:    gatehouse.JSONBody(verifyRequest{Email: auth.ProvidedEmail, Password: auth.Password}),
	})
	if err != nil {
		gatehouse.Warn("drip-feed migration skipped: the legacy system", host, "could not be reached:", errorStatus(err))
		return nil
	}
	switch resp.Status {
	case 401, 403, 404:
		gatehouse.Log("the legacy system refused the password (status", resp.Status, ")")
		return gatehouse.InvalidateFormField(Field, NotFoundMessage)
	case 200:
	default:
		gatehouse.Warn("drip-feed migration skipped: the legacy system", host, "answered status", resp.Status)
		return nil
	}
	var v verifyResponse
	if err := resp.JSON(&v); err != nil || v.Valid == nil {
		gatehouse.Warn("drip-feed migration skipped: the legacy system", host, `did not answer {"valid":true|false}`)
		return nil
	}
	if !*v.Valid {
		gatehouse.Log("the legacy system refused the password")
		return gatehouse.InvalidateFormField(Field, NotFoundMessage)
	}
	gatehouse.Log("the legacy system accepted the password")
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
