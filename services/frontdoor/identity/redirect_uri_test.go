package identity_test

import (
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestMatchRedirectURIIsExact(t *testing.T) {
	registered := []string{
		"https://app.example.com/callback",
		"https://app.example.com:8443/cb?tenant=a",
		"http://localhost:3000/callback",
		"com.example.app:/oauth2redirect",
	}
	for _, c := range []struct {
		uri  string
		want bool
	}{
		{"https://app.example.com/callback", true},
		{"https://app.example.com:8443/cb?tenant=a", true},
		{"http://localhost:3000/callback", true},
		{"com.example.app:/oauth2redirect", true},

		{"https://app.example.com/callback/", false},        // trailing slash
		{"https://app.example.com/callback/extra", false},   // longer path
		{"https://app.example.com/Callback", false},         // case of the path
		{"https://APP.example.com/callback", false},         // case of the host
		{"HTTPS://app.example.com/callback", false},         // case of the scheme
		{"https://app.example.com:443/callback", false},     // default port written out
		{"https://app.example.com:8443/callback", false},    // other port
		{"https://app.example.com/other", false},            // other path
		{"https://app.example.com/", false},                 // prefix
		{"https://app.example.com", false},                  // no path
		{"https://app.example.com/callback?x=1", false},     // added query
		{"https://app.example.com:8443/cb", false},          // query dropped
		{"https://app.example.com:8443/cb?tenant=b", false}, // other query value
		{"https://app.example.com/callback#frag", false},    // fragment
		{"https://app.example.com/%63allback", false},       // escaped character
		{"https://app.example.com/./callback", false},       // dot segment
		{"https://evil.example.com/callback", false},        // other host
		{"https://app.example.com.evil.com/callback", false},
		{"http://app.example.com/callback", false},   // other scheme
		{"http://localhost:3001/callback", false},    // other loopback port
		{"http://127.0.0.1:3000/callback", false},    // other loopback name
		{" https://app.example.com/callback", false}, // white space
		{"", false},
	} {
		if got := identity.MatchRedirectURI(registered, c.uri); got != c.want {
			t.Errorf("MatchRedirectURI(%q) = %v, want %v", c.uri, got, c.want)
		}
	}
	if identity.MatchRedirectURI(nil, "https://app.example.com/callback") {
		t.Error("an application without redirect URIs matched one")
	}
	if identity.MatchRedirectURI([]string{""}, "") {
		t.Error("an empty URI matched")
	}
}

func TestApplicationAllowsURIs(t *testing.T) {
	a := &identity.Application{
		RedirectURIs:           []string{"https://app.example.com/callback"},
		PostLogoutRedirectURIs: []string{"https://app.example.com/"},
	}
	if !a.AllowsRedirectURI("https://app.example.com/callback") || a.AllowsRedirectURI("https://app.example.com/") {
		t.Error("AllowsRedirectURI does not use the redirect URIs exactly")
	}
	if !a.AllowsPostLogoutRedirectURI("https://app.example.com/") || a.AllowsPostLogoutRedirectURI("https://app.example.com/callback") {
		t.Error("AllowsPostLogoutRedirectURI does not use the post-logout redirect URIs exactly")
	}
}
