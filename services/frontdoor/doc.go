// Package frontdoor is Gatehouse's OAuth 2.1 / OpenID Connect provider: the
// HTTP edge where applications send their users to sign in and exchange
// codes, refresh tokens and client credentials for tokens. At each step it
// fires the tenant's workflows (DESIGN §3) through the worker and applies
// their decisions; tokens are signed by the tokens service.
//
// # Routes
//
// Each environment has its own issuer ([Config.Issuer]): the default
// environment is served at the root of the issuer URL, every other one
// under /e/<env>. Relative to that base:
//
//	GET       /.well-known/openid-configuration  discovery (OIDC Discovery 1.0, RFC 8414)
//	GET       /.well-known/jwks.json             the environment's signing keys
//	GET       /oauth2/auth                       authorization endpoint (code + PKCE S256 only)
//	POST      /oauth2/token                      authorization_code, refresh_token, client_credentials
//	POST      /oauth2/revoke                     RFC 7009 revocation
//	POST      /oauth2/introspect                 RFC 7662 introspection (confidential clients)
//	GET, POST /oauth2/userinfo                   OIDC UserInfo (Bearer access token)
//	GET, POST /oauth2/logout                     OIDC RP-initiated logout
//	GET, POST /sign-in                           hosted sign-in page
//	GET, POST /sign-up                           hosted sign-up page (also prompt=create)
//	GET, POST /choose-organization               organization choice for members of several
//	GET, POST /reset-password                    ask for a reset link (needs a Mailer)
//	GET, POST /reset-password/new                the emailed link: choose a new password
//	GET       /verify-email                      the link sent at sign-up: confirms the address
//	GET, POST /preview                           preview password of a deploy_id
//	GET, POST /mfa                               the MFA step of a sign-in (set up, challenge, backup codes)
//	GET, POST /account/security                  self-serve second factors (needs a recent sign-in)
//	GET, POST /account/plan                      self-serve plan page (user:plan_selection, user:plan_cancellation_request)
//	          /api/v1/…                          management API (package mgmt)
//
// The token, revocation and userinfo endpoints answer CORS requests from
// any origin (without credentials), for browser applications.
//
// # Sign-in
//
// /oauth2/auth checks the client and its redirect URI first (exact match;
// on any doubt it shows an error page and never redirects), then the rest
// of the request; errors after that go back to the client's redirect URI
// with state and iss (RFC 9207). A valid session cookie answers at once
// unless prompt=login or max_age ask for a fresh sign-in; otherwise the
// browser goes to /sign-in, whose form posts back to /sign-in with the
// authorization request in its URL. The sign-in page takes an email and
// password: the attempt is counted by a per-account and a per-IP limiter,
// user:existing_password_provided runs (its formErrors["p_password"] shows
// next to the password field), the password is verified, then
// user:post_authentication runs. Sign-up runs user:new_password_provided
// (reason "initial") and user:pre_registration before the user and their
// password are created in one transaction, then goes on like a sign-in
// (post_authentication with isNewUserRecordCreated).
//
// After authentication the organization is resolved: org_code (the user
// must be a member), else the user's only organization, else — for a
// member of several — the one chosen on /choose-organization. Then, for a
// new sign-in, the MFA service gives the MFA context (policy, exemptions,
// factors, grace period) and user:pre_mfa runs with it; its decision,
// ChallengeWith / EnrollWith and the client's step-up (acr_values,
// max_age) decide whether the user completes MFA on /mfa (see decideMFA).
// Then a session is created (with amr, acr and the MFA time) and a
// single-use code is issued. A step that waits for the user
// keeps the authentication as a flow (cookie + row, 15 minutes, used
// once). Forms are protected by a double-submit CSRF token.
//
// An authorization request with deploy_id first asks for that
// deployment's preview password (failed attempts limited per deployment);
// once given, a cookie bound to the client makes every trigger of the flow,
// up to the code exchange, run that deployment for its trigger.
//
// # Tokens
//
// Codes live 60 seconds, are stored hashed and are bound to the client,
// the redirect URI, the PKCE challenge and the nonce; a second redemption
// fails and revokes every token issued from the first. The token endpoint
// runs user:tokens_generation on code exchange and refresh, and
// m2m:token_generation on client credentials (except for the management
// API audience, whose tokens workflows may not change). A workflow error
// applies the workflow's failure policy: stop refuses the request, continue
// goes on without the workflow's changes.
//
// Every request runs under a deadline ([Config.RequestTimeout]); every
// protocol error is an oauth.Error.
package frontdoor
