package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ApplicationType is the kind of OAuth client an application is.
type ApplicationType string

// Application types, as in Kinde.
const (
	// AppRegular is a server-side web application: a confidential client
	// with a secret, using the authorization code flow.
	AppRegular ApplicationType = "regular"
	// AppSPA is a single-page (browser) application: a public client, no
	// secret, authorization code flow with PKCE.
	AppSPA ApplicationType = "spa"
	// AppNative is a mobile or desktop application: a public client, no
	// secret, authorization code flow with PKCE.
	AppNative ApplicationType = "native"
	// AppM2M is a machine-to-machine application: a confidential client
	// using the client credentials grant for the audiences and scopes it
	// is allowed.
	AppM2M ApplicationType = "m2m"
)

// Valid reports whether t is one of the application types.
func (t ApplicationType) Valid() bool {
	switch t {
	case AppRegular, AppSPA, AppNative, AppM2M:
		return true
	}
	return false
}

// Confidential reports whether applications of type t have a client secret
// (regular and m2m); spa and native applications are public clients.
func (t ApplicationType) Confidential() bool { return t == AppRegular || t == AppM2M }

// OAuth grant types an application may be allowed.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Application is an OAuth client registered in an environment. ClientID is
// 32 hex digits, unique across environments.
type Application struct {
	ClientID string
	Env      string
	Name     string
	Type     ApplicationType
	// RedirectURIs and PostLogoutRedirectURIs are matched exactly (see
	// [MatchRedirectURI]).
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// GrantTypes are the grants the application may use.
	GrantTypes []string
	// Audiences and Scopes are what an m2m application may request with
	// the client credentials grant; empty for other types.
	Audiences []string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AllowsGrant reports whether the application may use grant type g.
func (a *Application) AllowsGrant(g string) bool { return slices.Contains(a.GrantTypes, g) }

// NewApplication is what [Store.CreateApplication] needs. Empty GrantTypes
// means the type's default: authorization_code and refresh_token for
// regular, spa and native applications, client_credentials for m2m.
type NewApplication struct {
	Env                    string
	Name                   string
	Type                   ApplicationType
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Audiences              []string
	Scopes                 []string
}

// ApplicationUpdate lists what [Store.UpdateApplication] changes; nil
// fields keep their value. A non-nil empty slice clears the list (the
// type's default for GrantTypes). The type cannot change.
type ApplicationUpdate struct {
	Name                   *string
	RedirectURIs           *[]string
	PostLogoutRedirectURIs *[]string
	GrantTypes             *[]string
	Audiences              *[]string
	Scopes                 *[]string
}

// validate checks and normalises a (new or updated) application in place.
func (a *Application) validate() error {
	if !a.Type.Valid() {
		return fmt.Errorf("%w: application type %q is not one of regular, spa, native, m2m", ErrInvalid, a.Type)
	}
	if strings.TrimSpace(a.Name) == "" {
		return fmt.Errorf("%w: application name is required", ErrInvalid)
	}
	if err := checkName("application name", a.Name); err != nil {
		return err
	}
	var err error
	if a.RedirectURIs, err = checkRedirectURIs(a.Type, "redirect URIs", a.RedirectURIs); err != nil {
		return err
	}
	if a.PostLogoutRedirectURIs, err = checkRedirectURIs(a.Type, "post-logout redirect URIs", a.PostLogoutRedirectURIs); err != nil {
		return err
	}
	if a.GrantTypes, err = checkGrantTypes(a.Type, a.GrantTypes); err != nil {
		return err
	}
	if a.Type != AppM2M && (len(a.Audiences) > 0 || len(a.Scopes) > 0) {
		return fmt.Errorf("%w: only m2m applications have allowed audiences and scopes", ErrInvalid)
	}
	if a.Audiences, err = checkTokens("audience", a.Audiences); err != nil {
		return err
	}
	if a.Scopes, err = checkTokens("scope", a.Scopes); err != nil {
		return err
	}
	return nil
}

// checkGrantTypes applies the type's default to an empty list and refuses
// grants the type may not use.
func checkGrantTypes(t ApplicationType, grants []string) ([]string, error) {
	allowed := []string{GrantAuthorizationCode, GrantRefreshToken}
	if t == AppM2M {
		allowed = []string{GrantClientCredentials}
	}
	if len(grants) == 0 {
		return allowed, nil
	}
	out := make([]string, 0, len(grants))
	for _, g := range grants {
		if !slices.Contains(allowed, g) {
			return nil, fmt.Errorf("%w: grant type %q is not allowed for %s applications (allowed: %s; implicit and password grants are not supported)",
				ErrInvalid, g, t, strings.Join(allowed, ", "))
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	if t != AppM2M && !slices.Contains(out, GrantAuthorizationCode) {
		return nil, fmt.Errorf("%w: %s applications need the authorization_code grant (refresh_token alone cannot sign anyone in)", ErrInvalid, t)
	}
	return out, nil
}

// checkTokens validates audiences or scopes: non-empty, no white space,
// quotes or backslashes (RFC 6749 scope-token characters), deduplicated.
func checkTokens(what string, tokens []string) ([]string, error) {
	out := make([]string, 0, len(tokens))
	for _, tok := range tokens {
		if tok == "" || len(tok) > maxRedirectURIBytes {
			return nil, fmt.Errorf("%w: an allowed %s is empty or longer than %d bytes", ErrInvalid, what, maxRedirectURIBytes)
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
				return nil, fmt.Errorf("%w: allowed %s %q may only contain printable ASCII without spaces, quotes or backslashes", ErrInvalid, what, tok)
			}
		}
		if !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	if len(out) > maxAudiencesOrScopes {
		return nil, fmt.Errorf("%w: %d allowed %ss given, the limit is %d", ErrInvalid, len(out), what, maxAudiencesOrScopes)
	}
	return out, nil
}

const appColumns = `client_id, env, name, type, redirect_uris, post_logout_redirect_uris,
	grant_types, audiences, scopes, created_at, updated_at`

func scanApp(row pgx.Row, extra ...any) (*Application, error) {
	var a Application
	dest := append([]any{&a.ClientID, &a.Env, &a.Name, &a.Type, &a.RedirectURIs, &a.PostLogoutRedirectURIs,
		&a.GrantTypes, &a.Audiences, &a.Scopes, &a.CreatedAt, &a.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return &a, nil
}

// newClientID returns 32 random hex digits.
func newClientID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate client id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// CreateApplication registers an application. For a confidential type
// (regular, m2m) it returns the client secret: the only time it is
// available, since only its hash is stored. For public types the secret is
// "".
//
// # Errors
//
// [ErrInvalid] naming the field for anything malformed; [ErrNotFound] when
// the environment does not exist. Redirect and post-logout redirect URIs
// must be absolute, without a fragment, white space or user information,
// and use https, http on a loopback host (localhost, 127.0.0.0/8, [::1]),
// or — native applications only — a reverse-domain private-use scheme
// (com.example.app:/callback); m2m applications have none. They are stored
// exactly as given (duplicates dropped) and matched exactly
// ([MatchRedirectURI]).
func (s *Store) CreateApplication(ctx context.Context, na NewApplication) (app *Application, secret string, err error) {
	if err := checkEnv(na.Env); err != nil {
		return nil, "", fmt.Errorf("create application: %w", err)
	}
	a := &Application{Env: na.Env, Name: na.Name, Type: na.Type,
		RedirectURIs: na.RedirectURIs, PostLogoutRedirectURIs: na.PostLogoutRedirectURIs,
		GrantTypes: na.GrantTypes, Audiences: na.Audiences, Scopes: na.Scopes}
	if err := a.validate(); err != nil {
		return nil, "", fmt.Errorf("create application %q: %w", na.Name, err)
	}
	clientID, err := newClientID()
	if err != nil {
		return nil, "", err
	}
	var hash []byte
	if a.Type.Confidential() {
		if secret, hash, err = newClientSecret(); err != nil {
			return nil, "", err
		}
	}
	app, err = scanApp(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.applications
		(client_id, env, name, type, client_secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, audiences, scopes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+appColumns,
		clientID, a.Env, a.Name, string(a.Type), hash, a.RedirectURIs, a.PostLogoutRedirectURIs, a.GrantTypes, a.Audiences, a.Scopes))
	if err != nil {
		return nil, "", fmt.Errorf("create application %q in environment %s: %w", na.Name, na.Env, envError(err, na.Env))
	}
	return app, secret, nil
}

// GetApplication returns application clientID of env, or an error wrapping
// [ErrNotFound].
func (s *Store) GetApplication(ctx context.Context, env, clientID string) (*Application, error) {
	a, err := scanApp(s.pool.QueryRow(ctx, `SELECT `+appColumns+` FROM frontdoor.applications
		WHERE env = $1 AND client_id = $2`, env, clientID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("application %s in environment %s: %w", clientID, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get application %s: %w", clientID, err)
	}
	return a, nil
}

// ListApplications returns the applications of env in creation order.
func (s *Store) ListApplications(ctx context.Context, env string) ([]Application, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+appColumns+` FROM frontdoor.applications
		WHERE env = $1 ORDER BY created_at, client_id`, env)
	if err != nil {
		return nil, fmt.Errorf("list applications of environment %s: %w", env, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Application, error) {
		a, err := scanApp(row)
		if err != nil {
			return Application{}, err
		}
		return *a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list applications of environment %s: %w", env, err)
	}
	return out, nil
}

// UpdateApplication changes the non-nil fields of upd, validated as for
// [Store.CreateApplication] against the application's type, and returns
// the application.
func (s *Store) UpdateApplication(ctx context.Context, env, clientID string, upd ApplicationUpdate) (*Application, error) {
	var out *Application
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a, err := scanApp(tx.QueryRow(ctx, `SELECT `+appColumns+` FROM frontdoor.applications
			WHERE env = $1 AND client_id = $2 FOR UPDATE`, env, clientID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("application not found in environment %s: %w", env, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if upd.Name != nil {
			a.Name = *upd.Name
		}
		if upd.RedirectURIs != nil {
			a.RedirectURIs = *upd.RedirectURIs
		}
		if upd.PostLogoutRedirectURIs != nil {
			a.PostLogoutRedirectURIs = *upd.PostLogoutRedirectURIs
		}
		if upd.GrantTypes != nil {
			a.GrantTypes = *upd.GrantTypes
		}
		if upd.Audiences != nil {
			a.Audiences = *upd.Audiences
		}
		if upd.Scopes != nil {
			a.Scopes = *upd.Scopes
		}
		if err := a.validate(); err != nil {
			return err
		}
		out, err = scanApp(tx.QueryRow(ctx, `UPDATE frontdoor.applications SET name = $3, redirect_uris = $4,
			post_logout_redirect_uris = $5, grant_types = $6, audiences = $7, scopes = $8, updated_at = now()
			WHERE env = $1 AND client_id = $2 RETURNING `+appColumns,
			env, clientID, a.Name, a.RedirectURIs, a.PostLogoutRedirectURIs, a.GrantTypes, a.Audiences, a.Scopes))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update application %s: %w", clientID, err)
	}
	return out, nil
}

// RotateClientSecret gives a confidential application a new client secret
// and returns it (shown once); the old secret stops working at once. A
// public application has none: that is an error wrapping [ErrInvalid].
func (s *Store) RotateClientSecret(ctx context.Context, env, clientID string) (string, error) {
	secret, hash, err := newClientSecret()
	if err != nil {
		return "", err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var typ ApplicationType
		err := tx.QueryRow(ctx, `SELECT type FROM frontdoor.applications
			WHERE env = $1 AND client_id = $2 FOR UPDATE`, env, clientID).Scan(&typ)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("application not found in environment %s: %w", env, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !typ.Confidential() {
			return fmt.Errorf("%w: %s applications are public clients and have no secret", ErrInvalid, typ)
		}
		_, err = tx.Exec(ctx, `UPDATE frontdoor.applications SET client_secret_hash = $3, updated_at = now()
			WHERE env = $1 AND client_id = $2`, env, clientID, hash)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("rotate client secret of application %s: %w", clientID, err)
	}
	return secret, nil
}

// DeleteApplication deletes application clientID of env.
func (s *Store) DeleteApplication(ctx context.Context, env, clientID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM frontdoor.applications WHERE env = $1 AND client_id = $2`, env, clientID)
	if err != nil {
		return fmt.Errorf("delete application %s: %w", clientID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete application %s in environment %s: %w", clientID, env, ErrNotFound)
	}
	return nil
}

// VerifyClientSecret authenticates a confidential client: it returns the
// application when secret is its current client secret (compared in
// constant time), and [ErrInvalidCredentials] itself, unwrapped, for an
// unknown client id (in env), a public client or a wrong secret. Other
// errors are the database's, wrapped.
func (s *Store) VerifyClientSecret(ctx context.Context, env, clientID, secret string) (*Application, error) {
	var hash []byte
	a, err := scanApp(s.pool.QueryRow(ctx, `SELECT `+appColumns+`, client_secret_hash FROM frontdoor.applications
		WHERE env = $1 AND client_id = $2`, env, clientID), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("verify client secret of application %s: %w", clientID, err)
	}
	if !a.Type.Confidential() || !clientSecretMatches(hash, secret) {
		return nil, ErrInvalidCredentials
	}
	return a, nil
}
