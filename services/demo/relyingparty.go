package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"
)

// Limits of the relying party.
const (
	// flowCookie carries state, nonce and PKCE verifier from the sign-in
	// redirect to the callback.
	flowCookie = "gatehouse_demo_flow"
	flowTTL    = 10 * time.Minute
	// backChannelTimeout bounds discovery, JWKS and token requests.
	backChannelTimeout = 10 * time.Second
)

// relyingParty is the demo's OAuth client: a server-side web application
// using the authorization code flow with PKCE and client_secret_basic.
type relyingParty struct {
	issuer, base string
	clientID     string
	clientSecret string
	log          *slog.Logger
	client       *http.Client

	mu       sync.Mutex
	provider *oidc.Provider // discovered on first use
}

func newRelyingParty(issuer, base, clientID, clientSecret string, log *slog.Logger) *relyingParty {
	return &relyingParty{issuer: issuer, base: base, clientID: clientID, clientSecret: clientSecret, log: log,
		client: &http.Client{Timeout: backChannelTimeout}}
}

// Routes adds /demo, /demo/login (?mfa=1 asks for MFA) and /demo/callback
// to r.
func (d *Demo) Routes(r chi.Router) {
	r.Get(Path, d.rp.home)
	r.Get(Path+"/login", d.rp.login)
	r.Get(Path+"/callback", d.rp.callback)
}

// discover returns the provider, fetching the discovery document the
// first time (the frontdoor serves it on the same listener, so it cannot
// be fetched before the listener is up).
func (rp *relyingParty) discover(ctx context.Context) (*oidc.Provider, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider != nil {
		return rp.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, rp.client), rp.issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the provider at %s: %w", rp.issuer, err)
	}
	rp.provider = p
	return p, nil
}

func (rp *relyingParty) oauth2Config(p *oidc.Provider) *oauth2.Config {
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic
	return &oauth2.Config{ClientID: rp.clientID, ClientSecret: rp.clientSecret, Endpoint: ep,
		RedirectURL: rp.base + "/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

// flow is what the flow cookie holds.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	// MFA says the sign-in asked for multi-factor authentication
	// (acr_values), which the ID token's acr must then show.
	MFA bool `json:"m,omitempty"`
}

// acrMFA is the acr of multi-factor authentication (the OpenID PAPE
// multi-factor policy): what "Sign in with MFA" asks for in acr_values and
// what the tokens carry after MFA.
const acrMFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"

// amrMFA is the amr value of multi-factor authentication (RFC 8176).
const amrMFA = "mfa"

func (rp *relyingParty) home(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, view{Base: rp.base})
}

// login starts the authorization code flow; with ?mfa=1 it asks for
// multi-factor authentication (acr_values), whatever the MFA policy and the
// pre-MFA workflow decide.
func (rp *relyingParty) login(w http.ResponseWriter, r *http.Request) {
	p, err := rp.discover(r.Context())
	if err != nil {
		rp.fail(w, http.StatusBadGateway, "The demo could not reach the provider's discovery document.", err)
		return
	}
	f := flow{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(), MFA: r.URL.Query().Get("mfa") == "1"}
	b, err := json.Marshal(f)
	if err != nil {
		rp.fail(w, http.StatusInternalServerError, "The demo could not start the sign-in.", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: Path,
		MaxAge: int(flowTTL / time.Second), HttpOnly: true, Secure: rp.secure(), SameSite: http.SameSiteLaxMode})
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)}
	if f.MFA {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", acrMFA))
	}
	u := rp.oauth2Config(p).AuthCodeURL(f.State, opts...)
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// callback finishes the flow: checks state, exchanges the code, verifies
// the ID token and its nonce and the access token, and shows their claims.
func (rp *relyingParty) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, ok := readFlow(r)
	// The flow cookie is single use.
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Path: Path, MaxAge: -1, HttpOnly: true, Secure: rp.secure(), SameSite: http.SameSiteLaxMode})
	if e := q.Get("error"); e != "" {
		render(w, http.StatusBadRequest, view{Base: rp.base, Error: fmt.Sprintf("The provider answered %s: %s", e, q.Get("error_description"))})
		return
	}
	if !ok || q.Get("state") == "" || q.Get("state") != f.State {
		render(w, http.StatusBadRequest, view{Base: rp.base, Error: "This sign-in was not started here or has expired (the state does not match)."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backChannelTimeout)
	defer cancel()
	ctx = context.WithValue(oidc.ClientContext(ctx, rp.client), oauth2.HTTPClient, rp.client)
	p, err := rp.discover(ctx)
	if err != nil {
		rp.fail(w, http.StatusBadGateway, "The demo could not reach the provider's discovery document.", err)
		return
	}
	tok, err := rp.oauth2Config(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		rp.fail(w, http.StatusBadGateway, "The token endpoint refused the authorization code.", err)
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		rp.fail(w, http.StatusBadGateway, "The token response has no ID token.", errors.New("no id_token in the token response"))
		return
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: rp.clientID}).Verify(ctx, rawID)
	if err != nil {
		rp.fail(w, http.StatusBadGateway, "The ID token did not verify.", err)
		return
	}
	if idt.Nonce != f.Nonce {
		rp.fail(w, http.StatusBadGateway, "The ID token's nonce does not match this sign-in.", errors.New("nonce mismatch"))
		return
	}
	at, err := p.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, tok.AccessToken)
	if err != nil {
		rp.fail(w, http.StatusBadGateway, "The access token did not verify.", err)
		return
	}
	v := view{Base: rp.base, SignedIn: true}
	var idClaims, atClaims map[string]any
	if err := idt.Claims(&idClaims); err != nil {
		rp.fail(w, http.StatusBadGateway, "The ID token's claims are not a JSON object.", err)
		return
	}
	if err := at.Claims(&atClaims); err != nil {
		rp.fail(w, http.StatusBadGateway, "The access token's claims are not a JSON object.", err)
		return
	}
	v.AMR, v.ACR = authentication(idClaims)
	v.MFA = slices.Contains(v.AMR, amrMFA)
	if f.MFA && v.ACR != acrMFA {
		rp.fail(w, http.StatusBadGateway, "This sign-in asked for multi-factor authentication, but the ID token's acr does not show it.",
			fmt.Errorf("acr %q, want %q", v.ACR, acrMFA))
		return
	}
	v.Subject, _ = idClaims["sub"].(string)
	v.Email, _ = idClaims["email"].(string)
	v.IDClaims, v.AccessClaims = pretty(idClaims), pretty(atClaims)
	v.AccessClaimName, v.IDClaimName = AccessTokenClaim, IDTokenClaim
	if c, ok := atClaims[AccessTokenClaim]; ok {
		v.AccessClaim = pretty(c)
	}
	if c, ok := idClaims[IDTokenClaim]; ok {
		v.IDClaim = pretty(c)
	}
	v.SignOut = rp.signOutURL(p, rawID)
	render(w, http.StatusOK, v)
}

// authentication returns the amr and acr claims of an ID token: how the
// user authenticated (RFC 8176 method names) and the assurance reached.
func authentication(claims map[string]any) (amr []string, acr string) {
	list, _ := claims["amr"].([]any)
	for _, m := range list {
		if s, ok := m.(string); ok {
			amr = append(amr, s)
		}
	}
	acr, _ = claims["acr"].(string)
	return amr, acr
}

// signOutURL is the RP-initiated logout request for the ID token.
func (rp *relyingParty) signOutURL(p *oidc.Provider, idToken string) string {
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err != nil || meta.EndSession == "" {
		meta.EndSession = rp.issuer + "/oauth2/logout"
	}
	q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {rp.base}, "client_id": {rp.clientID}}
	return meta.EndSession + "?" + q.Encode()
}

// fail logs err (which never holds a token or the secret) and shows text.
func (rp *relyingParty) fail(w http.ResponseWriter, status int, text string, err error) {
	rp.log.Warn("demo: sign-in failed", "reason", text, "err", err)
	render(w, status, view{Base: rp.base, Error: text})
}

func (rp *relyingParty) secure() bool { return len(rp.base) > 8 && rp.base[:8] == "https://" }

func readFlow(r *http.Request) (flow, bool) {
	var f flow
	c, err := r.Cookie(flowCookie)
	if err != nil {
		return f, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return flow{}, false
	}
	return f, true
}

// randomToken returns 128 random bits, base64url.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

func pretty(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
