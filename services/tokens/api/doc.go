// Package api is the tokens service's public contract: subjects, request and
// response types, error reasons, and a verification helper for resource
// servers.
//
// The tokens service signs every JWT Gatehouse issues, keeps the signing keys
// (encrypted by the keys service), stores refresh tokens (hashed) and the
// records of issued access tokens, and answers revocation (RFC 7009) and
// introspection (RFC 7662). The frontdoor is its only caller on the token
// paths; it authenticates clients and speaks OAuth on the wire, and maps the
// errors below to OAuth error codes.
//
// # Token formats
//
// Access tokens are JWTs after RFC 9068: header typ "at+jwt", alg ES256 (the
// default) or RS256, kid naming a key in the environment's JWKS. ID tokens are
// JWTs with typ "JWT" after OpenID Connect Core. Refresh tokens are opaque:
// RefreshTokenPrefix followed by 256 random bits in unpadded base64url; the
// service stores only their SHA-256.
//
// # Authorization code grant
//
// After checking the code and PKCE and running the user:tokens_generation
// workflow, the frontdoor sends an IssueRequest with Grant
// GrantAuthorizationCode and GrantID set to the authorization code's id. When
// a code is presented a second time, the frontdoor sends SubjectRevokeGrant
// with that GrantID: every refresh family and access token issued from the
// code is revoked, as RFC 6749 §4.1.2 asks.
//
// # Refresh token grant (two phases)
//
// The user:tokens_generation workflow runs between validating a refresh token
// and issuing the new tokens, so a refresh is two calls:
//
//  1. SubjectRefreshBegin with the token and the client id. The token is
//     checked but not consumed; the reply is the grant it carries
//     (RefreshGrant: subject, organization, scope, amr, acr, auth_time,
//     session). A token that was already rotated is reuse: its whole family
//     is revoked and the call fails with ReasonRefreshTokenReused.
//  2. SubjectIssue with Grant GrantRefreshToken and Rotate set to the same
//     token, plus the workflow's claims. In one transaction the service locks
//     the token, checks it is still unused, marks it used and stores its
//     successor in the same family, so of two concurrent rotations of one
//     token exactly one succeeds. The other, and any later presentation of
//     the rotated token, is reuse: the family is revoked (every refresh token
//     of it, and every access token issued from it reads inactive in
//     introspection) and the call fails with ReasonRefreshTokenReused.
//
// If the workflow denies access between the two calls, the frontdoor simply
// does not make the second one: the token stays valid and unused.
//
// # Client credentials grant
//
// SubjectIssue with Grant GrantClientCredentials: the access token's sub is the
// client id and it carries gty "client-credentials" and the
// m2m:token_generation workflow's claims.
//
// # Workflow claims
//
// Claims a workflow set (IssueRequest.Workflow) are filtered again here:
// names the token type prohibits (DESIGN §3, abi.ProhibitedClaims), the
// ProtocolClaims (together: ReservedClaims), and any claim the token already
// carries (standard claims and the caller's own claims always win) are
// dropped and reported in IssueResponse.DroppedClaims as "accessToken:sub",
// "idToken:nonce", "m2mToken:gty".
//
// # Revocation, introspection, keys
//
// SubjectRevoke follows RFC 7009 (an unknown token is not an error) and
// SubjectIntrospect returns the RFC 7662 response as it goes on the wire.
// SubjectJWKS returns the JWK Set to serve at the jwks_uri; the set changes
// only when EventKeysChanged is published, so the frontdoor may cache it until
// then (and for a few minutes at most, in case an event was missed). Resource
// servers verify access tokens offline with Verify, or introspect them to
// honour revocation.
//
// # Errors
//
// Errors are natsrpc errors. Those the frontdoor must tell apart carry a
// stable reason as the first word of the message ("refresh_token_reused: …");
// ReasonOf extracts it. See the Reason constants for the code each comes with
// and the OAuth error it maps to.
package api
