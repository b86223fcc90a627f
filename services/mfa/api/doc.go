// Package api is the MFA service's public contract: its NATS subjects,
// request and response types, factor types, policies and error reasons.
//
// The MFA service owns users' second factors (TOTP authenticator apps, SMS,
// email one-time codes, backup codes), their challenges and verification,
// and the MFA policies of environments and organizations. The frontdoor
// asks it for a user's MFA context before user:pre_mfa, and drives
// enrollment and challenges from its hosted pages; the management API
// exposes the same operations WorkOS-style under /api/v1/users/{id}/mfa.
//
// One-time codes and TOTP secrets never appear in logs, errors or metrics.
// A code is only ever sent to the service in a VerifyRequest.
package api
