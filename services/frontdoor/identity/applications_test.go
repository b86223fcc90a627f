package identity_test

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

var clientIDFormat = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestCreateApplications(t *testing.T) {
	s, pool := newStore(t)
	ctx := testContext(t)

	web, secret, err := s.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "Web", Type: identity.AppRegular,
		RedirectURIs:           []string{"https://app.example.com/callback", "http://localhost:3000/callback", "https://app.example.com/callback"},
		PostLogoutRedirectURIs: []string{"https://app.example.com/"}})
	if err != nil {
		t.Fatal(err)
	}
	if !clientIDFormat.MatchString(web.ClientID) || web.Type != identity.AppRegular || web.Env != env || web.Name != "Web" {
		t.Fatalf("regular application = %+v", web)
	}
	if !slices.Equal(web.RedirectURIs, []string{"https://app.example.com/callback", "http://localhost:3000/callback"}) {
		t.Fatalf("redirect URIs = %v (duplicates dropped, order kept)", web.RedirectURIs)
	}
	if !slices.Equal(web.GrantTypes, []string{identity.GrantAuthorizationCode, identity.GrantRefreshToken}) {
		t.Fatalf("default grants of a regular application = %v", web.GrantTypes)
	}
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil || len(raw) != 32 {
		t.Fatalf("client secret %q is not 256 bits of base64url (%v)", secret, err)
	}
	// Only a hash of the secret is stored.
	var stored []byte
	if err := pool.QueryRow(ctx, `SELECT client_secret_hash FROM frontdoor.applications WHERE client_id = $1`, web.ClientID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 32 || strings.Contains(string(stored), secret) {
		t.Fatalf("stored secret hash %x", stored)
	}

	spa, spaSecret, err := s.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "SPA", Type: identity.AppSPA,
		RedirectURIs: []string{"https://spa.example.com/"}})
	if err != nil {
		t.Fatal(err)
	}
	if spaSecret != "" || spa.Type.Confidential() {
		t.Fatalf("public application got a secret %q", spaSecret)
	}
	native, nativeSecret, err := s.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "Mobile", Type: identity.AppNative,
		RedirectURIs: []string{"com.example.app:/oauth2redirect", "http://127.0.0.1:51000/cb", "http://[::1]:51000/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	if nativeSecret != "" {
		t.Fatal("native application got a secret")
	}
	m2m, m2mSecret, err := s.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "Backend", Type: identity.AppM2M,
		Audiences: []string{"https://api.example.com"}, Scopes: []string{"read:users", "write:users", "read:users"}})
	if err != nil {
		t.Fatal(err)
	}
	if m2mSecret == "" || !slices.Equal(m2m.GrantTypes, []string{identity.GrantClientCredentials}) ||
		!slices.Equal(m2m.Scopes, []string{"read:users", "write:users"}) || !m2m.AllowsGrant(identity.GrantClientCredentials) ||
		m2m.AllowsGrant(identity.GrantAuthorizationCode) {
		t.Fatalf("m2m application = %+v", m2m)
	}

	// Lookups.
	got, err := s.GetApplication(ctx, env, web.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Web" || !slices.Equal(got.RedirectURIs, web.RedirectURIs) || !slices.Equal(got.PostLogoutRedirectURIs, web.PostLogoutRedirectURIs) {
		t.Fatalf("GetApplication = %+v", got)
	}
	byID, err := s.GetApplication(ctx, env, native.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if byID.Env != env || byID.Type != identity.AppNative || len(byID.RedirectURIs) != 3 {
		t.Fatalf("GetApplication = %+v", byID)
	}
	_, err = s.GetApplication(ctx, env, "0123456789abcdef0123456789abcdef")
	wantErr(t, err, identity.ErrNotFound)
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetApplication(ctx, "staging", web.ClientID)
	wantErr(t, err, identity.ErrNotFound)

	list, err := s.ListApplications(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"Web", "SPA", "Mobile", "Backend"}) {
		t.Fatalf("ListApplications names = %v", names)
	}
	if other, err := s.ListApplications(ctx, "staging"); err != nil || len(other) != 0 {
		t.Fatalf("staging applications = %v, %v", other, err)
	}
}

func TestCreateApplicationValidates(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	for name, na := range map[string]identity.NewApplication{
		"unknown type":                  {Name: "A", Type: "web"},
		"no name":                       {Name: " ", Type: identity.AppSPA},
		"relative redirect":             {Name: "A", Type: identity.AppSPA, RedirectURIs: []string{"/callback"}},
		"redirect with fragment":        {Name: "A", Type: identity.AppSPA, RedirectURIs: []string{"https://a.example.com/cb#x"}},
		"redirect with white space":     {Name: "A", Type: identity.AppSPA, RedirectURIs: []string{"https://a.example.com/c b"}},
		"redirect with user info":       {Name: "A", Type: identity.AppSPA, RedirectURIs: []string{"https://user@a.example.com/cb"}},
		"empty redirect":                {Name: "A", Type: identity.AppSPA, RedirectURIs: []string{""}},
		"http on a public host":         {Name: "A", Type: identity.AppRegular, RedirectURIs: []string{"http://a.example.com/cb"}},
		"custom scheme on a web app":    {Name: "A", Type: identity.AppRegular, RedirectURIs: []string{"com.example.app:/cb"}},
		"javascript scheme on native":   {Name: "A", Type: identity.AppNative, RedirectURIs: []string{"javascript:alert(1)"}},
		"https without host":            {Name: "A", Type: identity.AppSPA, RedirectURIs: []string{"https:///cb"}},
		"bad post-logout URI":           {Name: "A", Type: identity.AppSPA, PostLogoutRedirectURIs: []string{"http://a.example.com/"}},
		"m2m with redirect":             {Name: "A", Type: identity.AppM2M, RedirectURIs: []string{"https://a.example.com/cb"}},
		"implicit grant":                {Name: "A", Type: identity.AppSPA, GrantTypes: []string{"implicit"}},
		"password grant":                {Name: "A", Type: identity.AppRegular, GrantTypes: []string{"password"}},
		"refresh token alone":           {Name: "A", Type: identity.AppRegular, GrantTypes: []string{identity.GrantRefreshToken}},
		"client credentials on regular": {Name: "A", Type: identity.AppRegular, GrantTypes: []string{identity.GrantClientCredentials}},
		"code grant on m2m":             {Name: "A", Type: identity.AppM2M, GrantTypes: []string{identity.GrantAuthorizationCode}},
		"audiences on a spa":            {Name: "A", Type: identity.AppSPA, Audiences: []string{"https://api.example.com"}},
		"scope with a space":            {Name: "A", Type: identity.AppM2M, Scopes: []string{"read users"}},
		"empty audience":                {Name: "A", Type: identity.AppM2M, Audiences: []string{""}},
	} {
		na.Env = env
		if _, _, err := s.CreateApplication(ctx, na); err == nil {
			t.Errorf("%s: CreateApplication succeeded", name)
		} else {
			wantErr(t, err, identity.ErrInvalid)
		}
	}
	apps, err := s.ListApplications(ctx, env)
	if err != nil || len(apps) != 0 {
		t.Fatalf("invalid applications were stored: %v, %v", apps, err)
	}
}

func TestVerifyClientSecret(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	app, secret, err := s.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "Backend", Type: identity.AppM2M})
	if err != nil {
		t.Fatal(err)
	}
	spa, _, err := s.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "SPA", Type: identity.AppSPA})
	if err != nil {
		t.Fatal(err)
	}

	got, err := s.VerifyClientSecret(ctx, env, app.ClientID, secret)
	if err != nil {
		t.Fatal(err)
	}
	if got.ClientID != app.ClientID || got.Env != env {
		t.Fatalf("VerifyClientSecret = %+v", got)
	}
	flipped := []byte(secret)
	flipped[len(flipped)-1] ^= 1
	for name, c := range map[string]struct{ clientID, secret string }{
		"wrong secret":         {app.ClientID, string(flipped)},
		"empty secret":         {app.ClientID, ""},
		"secret with suffix":   {app.ClientID, secret + "x"},
		"truncated secret":     {app.ClientID, secret[:42]},
		"upper-cased secret":   {app.ClientID, strings.ToUpper(secret)},
		"huge secret":          {app.ClientID, strings.Repeat(secret, 100)},
		"unknown client":       {"0123456789abcdef0123456789abcdef", secret},
		"public client":        {spa.ClientID, ""},
		"another app's secret": {spa.ClientID, secret},
	} {
		if got, err := s.VerifyClientSecret(ctx, env, c.clientID, c.secret); err != identity.ErrInvalidCredentials || got != nil { // the contract is the unwrapped value
			t.Errorf("%s: VerifyClientSecret = %v, %v; want nil, ErrInvalidCredentials itself", name, got, err)
		}
	}

	// Rotation: the new secret works, the old one stops at once.
	// The right secret in another environment authenticates nothing.
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := s.VerifyClientSecret(ctx, "staging", app.ClientID, secret); err != identity.ErrInvalidCredentials || got != nil {
		t.Fatalf("verify in another environment: %+v %v", got, err)
	}
	rotated, err := s.RotateClientSecret(ctx, env, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated == secret {
		t.Fatal("rotation returned the same secret")
	}
	if _, err := s.VerifyClientSecret(ctx, env, app.ClientID, rotated); err != nil {
		t.Fatalf("rotated secret: %v", err)
	}
	if _, err := s.VerifyClientSecret(ctx, env, app.ClientID, secret); err != identity.ErrInvalidCredentials {
		t.Fatalf("old secret after rotation: %v", err)
	}
	_, err = s.RotateClientSecret(ctx, env, spa.ClientID)
	wantErr(t, err, identity.ErrInvalid)
	_, err = s.RotateClientSecret(ctx, env, "0123456789abcdef0123456789abcdef")
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.RotateClientSecret(ctx, "staging", app.ClientID)
	wantErr(t, err, identity.ErrNotFound)
}

func TestUpdateAndDeleteApplication(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	app, secret, err := s.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "Web", Type: identity.AppRegular,
		RedirectURIs: []string{"https://app.example.com/callback"}})
	if err != nil {
		t.Fatal(err)
	}

	name := "Web (new)"
	uris := []string{"https://app.example.com/cb2"}
	grants := []string{identity.GrantAuthorizationCode}
	got, err := s.UpdateApplication(ctx, env, app.ClientID, identity.ApplicationUpdate{Name: &name, RedirectURIs: &uris, GrantTypes: &grants})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name || !slices.Equal(got.RedirectURIs, uris) || !slices.Equal(got.GrantTypes, grants) ||
		got.Type != identity.AppRegular || !got.UpdatedAt.After(app.UpdatedAt) {
		t.Fatalf("updated application = %+v", got)
	}
	if got.AllowsRedirectURI("https://app.example.com/callback") || !got.AllowsRedirectURI("https://app.example.com/cb2") {
		t.Fatal("redirect URIs were not replaced")
	}
	// The secret survives an update.
	if _, err := s.VerifyClientSecret(ctx, env, app.ClientID, secret); err != nil {
		t.Fatalf("secret after update: %v", err)
	}
	// Clearing the grants restores the type's default.
	empty := []string{}
	got, err = s.UpdateApplication(ctx, env, app.ClientID, identity.ApplicationUpdate{GrantTypes: &empty})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.GrantTypes, []string{identity.GrantAuthorizationCode, identity.GrantRefreshToken}) || got.Name != name {
		t.Fatalf("after clearing grants: %+v", got)
	}

	bad := []string{"http://app.example.com/cb"}
	_, err = s.UpdateApplication(ctx, env, app.ClientID, identity.ApplicationUpdate{RedirectURIs: &bad})
	wantErr(t, err, identity.ErrInvalid)
	scopes := []string{"read:users"}
	_, err = s.UpdateApplication(ctx, env, app.ClientID, identity.ApplicationUpdate{Scopes: &scopes})
	wantErr(t, err, identity.ErrInvalid)
	_, err = s.UpdateApplication(ctx, env, "0123456789abcdef0123456789abcdef", identity.ApplicationUpdate{Name: &name})
	wantErr(t, err, identity.ErrNotFound)
	unchanged, err := s.GetApplication(ctx, env, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(unchanged.RedirectURIs, uris) || len(unchanged.Scopes) != 0 {
		t.Fatalf("a refused update changed the application: %+v", unchanged)
	}

	if err := s.DeleteApplication(ctx, env, app.ClientID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteApplication(ctx, env, app.ClientID), identity.ErrNotFound)
	_, err = s.GetApplication(ctx, env, app.ClientID)
	wantErr(t, err, identity.ErrNotFound)
	if _, err := s.VerifyClientSecret(ctx, env, app.ClientID, secret); err != identity.ErrInvalidCredentials {
		t.Fatalf("secret of a deleted application: %v", err)
	}
}
