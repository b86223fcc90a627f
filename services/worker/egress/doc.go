// Package egress is the HTTP client behind the workflow fetch bindings.
//
// Every connection the client opens is checked after DNS resolution: the
// hostname is resolved once, each resolved address is checked, and only an
// address that passed is dialed, so a name that rebinds to a private address
// between check and dial cannot slip through. Loopback, link-local (including
// the 169.254.169.254 cloud metadata address), private, shared (CGNAT),
// unspecified, multicast, broadcast and reserved addresses are refused unless
// the operator allow-list permits them. Plain http is refused unless
// Config.AllowHTTP is set. Responses are size-capped and redirects are
// limited, each redirect being checked again.
package egress
