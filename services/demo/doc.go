// Package demo is the development demo of `gatehouse serve`: a seed that
// makes a demo application, user, organization and two live workflows in
// the default environment, and a small relying party at /demo that signs
// the demo user in with the authorization code flow (PKCE S256) and shows
// the tokens, including the claim the live user:tokens_generation workflow
// adds and how the user authenticated (amr, acr).
//
// The user:pre_mfa workflow (the SDK's mfagraceperiod example) requires
// multi-factor authentication unless the user's last MFA is under 24 hours
// old: a first sign-in sets up a second factor, the next ones within a day
// skip it. The demo page's "Sign in with MFA" asks for MFA whatever the
// workflow says (acr_values=mfa, a step-up).
//
// The seed is idempotent: it looks everything up before creating it and
// keeps what it cannot read back (the client secret and the user's
// password, shown only once) in demo.json under the data directory, mode
// 0600. It runs in development only.
package demo
