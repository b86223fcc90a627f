// Package oauth holds the protocol pieces of the frontdoor that do not depend
// on storage: OAuth 2.1 / OIDC error values written in one place, PKCE
// verification (S256 only) and redirect-URI handling.
//
// Every protocol error the frontdoor returns is an *Error: its Code is one of
// the RFC 6749 / OIDC error codes, its Description is safe to show to the
// client (it never contains a secret), and Write / Redirect render it the way
// the endpoint requires (a JSON body for the token endpoint, query
// parameters on the redirect URI for the authorization endpoint, after the
// redirect URI itself was checked).
package oauth
