package identity

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Limits on an application's redirect URIs.
const (
	maxRedirectURIs      = 100
	maxRedirectURIBytes  = 2048
	maxAudiencesOrScopes = 100
)

// MatchRedirectURI reports whether uri is one of registered, compared byte
// for byte. Nothing is normalised: a trailing slash, a port (even the
// default one), a path segment, the case of any part, a query or an escape
// all count, so "https://app.example.com/cb" does not match
// "https://app.example.com/cb/", "https://APP.example.com/cb" or
// "https://app.example.com:443/cb". This is the exact matching OAuth 2.1
// and the OAuth security BCP require: a looser comparison is how open
// redirectors and code theft happen.
//
// Loopback redirect URIs of native applications are matched exactly too,
// port included (RFC 8252 §7.3 lets a server ignore their port): register
// each port the application uses.
func MatchRedirectURI(registered []string, uri string) bool {
	return uri != "" && slices.Contains(registered, uri)
}

// AllowsRedirectURI reports whether uri is one of the application's
// redirect URIs, exactly (see [MatchRedirectURI]).
func (a *Application) AllowsRedirectURI(uri string) bool {
	return MatchRedirectURI(a.RedirectURIs, uri)
}

// AllowsPostLogoutRedirectURI reports whether uri is one of the
// application's post-logout redirect URIs, exactly (see
// [MatchRedirectURI]).
func (a *Application) AllowsPostLogoutRedirectURI(uri string) bool {
	return MatchRedirectURI(a.PostLogoutRedirectURIs, uri)
}

// checkRedirectURIs validates the redirect (or post-logout redirect) URIs
// of an application of type t and returns them without duplicates, in
// their first order, each exactly as given. what names the list in errors.
//
// A URI must be absolute, without a fragment, white space or control
// characters, and use https, http on a loopback host (localhost,
// 127.0.0.0/8, [::1]) for development, or — for native applications only —
// a private-use scheme in reverse-domain form (com.example.app:/callback,
// RFC 8252 §7.1). m2m applications have no redirect URIs.
func checkRedirectURIs(t ApplicationType, what string, uris []string) ([]string, error) {
	if t == AppM2M && len(uris) > 0 {
		return nil, fmt.Errorf("%w: m2m applications have no %s (they use the client credentials grant)", ErrInvalid, what)
	}
	out := make([]string, 0, len(uris))
	for _, u := range uris {
		if err := checkRedirectURI(t, u); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if len(out) > maxRedirectURIs {
		return nil, fmt.Errorf("%w: %d %s given, the limit is %d", ErrInvalid, len(out), what, maxRedirectURIs)
	}
	return out, nil
}

func checkRedirectURI(t ApplicationType, raw string) error {
	if raw == "" {
		return fmt.Errorf("a URI is empty")
	}
	if len(raw) > maxRedirectURIBytes {
		return fmt.Errorf("a URI is longer than %d bytes", maxRedirectURIBytes)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("%q contains white space or a control character", raw)
		}
	}
	if strings.Contains(raw, "#") {
		return fmt.Errorf("%q has a fragment (#…), which redirect URIs must not have", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URI: %w", raw, err)
	}
	switch {
	case u.Scheme == "":
		return fmt.Errorf("%q is not absolute: it needs a scheme such as https://", raw)
	case u.Scheme == "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", raw)
		}
	case u.Scheme == "http":
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("%q uses http on a host other than localhost, 127.0.0.1 or [::1]: use https", raw)
		}
	case t == AppNative:
		if !strings.Contains(u.Scheme, ".") {
			return fmt.Errorf("%q: a native application's private-use scheme must be a reverse domain name such as com.example.app", raw)
		}
	default:
		return fmt.Errorf("%q uses scheme %q: use https (or http on localhost); other schemes are for native applications", raw, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%q contains user information (user@ or user:password@)", raw)
	}
	return nil
}

// isLoopbackHost reports whether host (without brackets or port) is
// "localhost" or a loopback IP address.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
