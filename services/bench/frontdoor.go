package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// frontdoorRequestTimeout bounds one HTTP request to the frontdoor.
const frontdoorRequestTimeout = 10 * time.Second

// frontdoor is the platform's HTTP edge as a client sees it, with an
// identity store on the platform's database to create the environments,
// applications and users the rows need.
type frontdoor struct {
	base string // issuer of the default environment
	pool *pgxpool.Pool
	ids  *identity.Store
	// transport keeps enough idle connections for every concurrent
	// caller, so that no request pays a TCP handshake.
	transport *http.Transport
}

// openFrontdoor opens the identity store with the default argon2id
// parameters, the ones the frontdoor hashes new passwords with.
func (s *stack) openFrontdoor(ctx context.Context, databaseURL string, maxCallers int) (*frontdoor, error) {
	pool, err := pgstore.Open(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open the identity database: %w", err)
	}
	ids, err := identity.NewStore(pool, identity.Config{})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("identity store: %w", err)
	}
	idle := max(maxCallers, 16)
	return &frontdoor{base: s.baseURL(), pool: pool, ids: ids, transport: &http.Transport{
		MaxIdleConns: idle, MaxIdleConnsPerHost: idle, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}, nil
}

func (f *frontdoor) close() {
	f.transport.CloseIdleConnections()
	f.pool.Close()
}

// issuer is the issuer URL of env (never the default environment here).
func (f *frontdoor) issuer(env string) string { return f.base + "/e/" + env }

// client is an HTTP client that does not follow redirects, so that every
// step of a flow is a request of its own; jar may be nil.
func (f *frontdoor) client(jar http.CookieJar) *http.Client {
	return &http.Client{Transport: f.transport, Jar: jar, Timeout: frontdoorRequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// tokenResponse is the token endpoint's answer (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// postToken posts form to the token endpoint of env with HTTP Basic
// client authentication and decodes the tokens.
func (f *frontdoor) postToken(ctx context.Context, hc *http.Client, env string, form url.Values, clientID, secret string) (tokenResponse, error) {
	var tr tokenResponse
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.issuer(env)+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return tr, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := hc.Do(req)
	if err != nil {
		return tr, fmt.Errorf("token request (%s): %w", form.Get("grant_type"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return tr, fmt.Errorf("token response (%s): %w", form.Get("grant_type"), err)
	}
	if resp.StatusCode != http.StatusOK {
		return tr, fmt.Errorf("token endpoint answered %s to %s: %s", resp.Status, form.Get("grant_type"), body)
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return tr, fmt.Errorf("token response (%s) has no access token: %s", form.Get("grant_type"), body)
	}
	return tr, nil
}

// jwtClaim decodes claim of a JWT's payload into v, without checking the
// signature (the frontdoor tests do that): it tells whether a workflow's
// claim made it into the token. It reports whether the claim is there.
func jwtClaim(token, claim string, v any) (bool, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false, fmt.Errorf("the token is not a JWS compact serialization (%d parts)", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false, fmt.Errorf("the token's payload: %w", err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return false, fmt.Errorf("the token's payload: %w", err)
	}
	raw, ok := claims[claim]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("claim %s: %w", claim, err)
	}
	return true, nil
}
