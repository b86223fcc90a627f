package api

import (
	"encoding/json"
	"time"
)

// Subjects of the tokens service (request-reply, JSON bodies).
const (
	// SubjectIssue issues tokens for one grant: IssueRequest → IssueResponse.
	SubjectIssue = "gatehouse.tokens.issue"
	// SubjectRefreshBegin checks a refresh token without consuming it and
	// returns its grant: RefreshBeginRequest → RefreshGrant.
	SubjectRefreshBegin = "gatehouse.tokens.refresh.begin"
	// SubjectRevoke revokes one token (RFC 7009): RevokeRequest → RevokeResponse.
	SubjectRevoke = "gatehouse.tokens.revoke"
	// SubjectRevokeGrant revokes everything issued from one authorization
	// code: RevokeGrantRequest → RevokeGrantResponse.
	SubjectRevokeGrant = "gatehouse.tokens.revoke_grant"
	// SubjectRevokeSubject revokes every refresh family and access token
	// of a user (a password reset, a deleted user): RevokeSubjectRequest →
	// RevokeGrantResponse.
	SubjectRevokeSubject = "gatehouse.tokens.revoke_subject"
	// SubjectIntrospect describes a token (RFC 7662): IntrospectRequest →
	// IntrospectResponse.
	SubjectIntrospect = "gatehouse.tokens.introspect"
	// SubjectJWKS returns an environment's public signing keys: JWKSRequest →
	// JWKS.
	SubjectJWKS = "gatehouse.tokens.jwks"
	// SubjectRotateKey makes new signing keys: RotateKeyRequest →
	// RotateKeyResponse.
	SubjectRotateKey = "gatehouse.tokens.rotate_key"

	// EventKeysChanged is published (core NATS, JSON KeysChanged) whenever an
	// environment's signing keys change (a key is created or rotated), so
	// replicas and the frontdoor drop their cached keys and JWKS.
	EventKeysChanged = "gatehouse.events.tokens.keys_changed"
)

// Grants an IssueRequest may name.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Signing algorithms.
const (
	AlgES256 = "ES256" // ECDSA P-256 with SHA-256: the default
	AlgRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys
)

// JWT header "typ" values.
const (
	TypeAccessToken = "at+jwt" // RFC 9068 access tokens (user and M2M)
	TypeIDToken     = "JWT"    // OpenID Connect ID tokens
)

// GrantTypeClientCredentials is the "gty" claim of M2M access tokens.
const GrantTypeClientCredentials = "client-credentials"

// RefreshTokenPrefix starts every refresh token, so it is recognisable to
// secret scanners and never mistaken for a JWT.
const RefreshTokenPrefix = "ghr_"

// Token type names used in RevokeResponse.TokenType, and as RFC 7662 / RFC
// 7009 token_type_hint values.
const (
	TokenTypeAccess  = "access_token"
	TokenTypeRefresh = "refresh_token"
)

// Limits on requests.
const (
	MaxTokenBytes  = 16 << 10 // a token presented for refresh, revocation or introspection
	MaxClaimsBytes = 32 << 10 // the JSON of one claims map (caller's or workflow's)
	MaxIDLen       = 256      // client ids, subjects, grant ids, session ids, org codes
	MaxListLen     = 64       // entries in Scope, Audience, AMR
)

// Lifetimes overrides the service's token lifetimes for one request (an
// application's own settings), in seconds; zero keeps the default. Access and
// ID token lifetimes may not exceed the signing-key overlap period, so a
// token never outlives the publication of its key.
type Lifetimes struct {
	AccessSeconds  int64 `json:"accessSeconds,omitempty"`
	IDSeconds      int64 `json:"idSeconds,omitempty"`
	RefreshSeconds int64 `json:"refreshSeconds,omitempty"`
}

// WorkflowClaims are the claims a workflow set, as the worker's decision
// carries them (same JSON names as worker/api.Decision). Only the maps that
// fit the grant are read: AccessTokenClaims and IDTokenClaims for user
// grants, M2MTokenClaims for client credentials; a map that does not fit is
// an invalid_argument.
type WorkflowClaims struct {
	AccessTokenClaims map[string]json.RawMessage `json:"accessTokenClaims,omitempty"`
	IDTokenClaims     map[string]json.RawMessage `json:"idTokenClaims,omitempty"`
	M2MTokenClaims    map[string]json.RawMessage `json:"m2mTokenClaims,omitempty"`
}

// IssueRequest issues the tokens of one grant.
//
// Which fields apply depends on Grant:
//
//   - GrantAuthorizationCode: ClientID and Subject are required. GrantID
//     should be the authorization code's id (see SubjectRevokeGrant).
//     Audience, Scope, OrgCode, AMR, ACR, AuthTime, SessionID, Nonce,
//     AccessClaims, Profile and Workflow are optional. An ID token is issued
//     when Scope contains "openid"; a refresh token when RefreshToken is
//     true (the frontdoor's policy: offline_access, the client's settings).
//   - GrantRefreshToken: Rotate (the refresh token validated by
//     SubjectRefreshBegin) and ClientID are required. The subject,
//     organization, audience, amr, acr, auth_time, session and grant id come
//     from the stored grant: fields of the request that name them must be
//     empty or equal to the stored values. Scope may narrow the stored scope
//     (RFC 6749 §6); a scope not in it fails with ReasonScopeExceeded. A new
//     refresh token always replaces the old one; Nonce must be empty (OIDC
//     Core §12.2). See the package documentation for the two-phase protocol.
//   - GrantClientCredentials: ClientID is required; the access token's sub
//     is the client id, and it carries gty "client-credentials". Audience,
//     Scope, OrgCode, AccessClaims and Workflow.M2MTokenClaims are optional.
//     Subject, Nonce, AMR, ACR, AuthTime, SessionID, Profile, RefreshToken,
//     Rotate, the user-token workflow claims and the ID and refresh
//     lifetimes must be empty: no ID or refresh token is issued. When
//     Audience names the management API (tokens.Config.ManagementAudience),
//     every workflow claim is dropped and reported.
//
// Audience defaults to the client id: RFC 9068 requires an aud. AuthTime is
// the time the user authenticated (OIDC auth_time); the zero time omits it.
// Alg picks the signing algorithm (AlgES256 or AlgRS256); empty uses the
// service default. Caller claims (AccessClaims on the access token, Profile on
// the ID token: name, email, email_verified, picture, updated_at…) may not
// use ProtocolClaims names nor a claim the token already carries
// (invalid_argument); they win over workflow claims of the same name.
type IssueRequest struct {
	Env          string                     `json:"env"`
	Grant        string                     `json:"grant"`
	ClientID     string                     `json:"clientId"`
	GrantID      string                     `json:"grantId,omitempty"`
	Subject      string                     `json:"subject,omitempty"`
	Audience     []string                   `json:"audience,omitempty"`
	Scope        []string                   `json:"scope,omitempty"`
	OrgCode      string                     `json:"orgCode,omitempty"`
	AMR          []string                   `json:"amr,omitempty"`
	ACR          string                     `json:"acr,omitempty"`
	AuthTime     time.Time                  `json:"authTime,omitzero"`
	SessionID    string                     `json:"sessionId,omitempty"`
	Nonce        string                     `json:"nonce,omitempty"`
	RefreshToken bool                       `json:"refreshToken,omitempty"`
	Rotate       string                     `json:"rotate,omitempty"`
	AccessClaims map[string]json.RawMessage `json:"accessClaims,omitempty"`
	Profile      map[string]json.RawMessage `json:"profile,omitempty"`
	Workflow     WorkflowClaims             `json:"workflow,omitzero"`
	Alg          string                     `json:"alg,omitempty"`
	Lifetimes    Lifetimes                  `json:"lifetimes,omitzero"`
}

// IssueResponse carries the issued tokens. ExpiresIn is the access token's
// lifetime in seconds, as the OAuth token response wants it; Scope is the
// granted scope. IDToken is empty unless the scope has "openid";
// RefreshToken is empty unless one was issued. FamilyID names the refresh
// family the tokens belong to (empty without refresh token). DroppedClaims
// lists the workflow claims that were not applied, as "accessToken:name",
// "idToken:name" or "m2mToken:name".
type IssueResponse struct {
	TokenType        string    `json:"tokenType"` // "Bearer"
	AccessToken      string    `json:"accessToken"`
	AccessTokenID    string    `json:"accessTokenId"` // its jti
	ExpiresIn        int64     `json:"expiresIn"`
	ExpiresAt        time.Time `json:"expiresAt"`
	Scope            []string  `json:"scope,omitempty"`
	IDToken          string    `json:"idToken,omitempty"`
	RefreshToken     string    `json:"refreshToken,omitempty"`
	RefreshExpiresAt time.Time `json:"refreshExpiresAt,omitzero"`
	FamilyID         string    `json:"familyId,omitempty"`
	KeyID            string    `json:"keyId"`
	Alg              string    `json:"alg"`
	DroppedClaims    []string  `json:"droppedClaims,omitempty"`
}

// RefreshBeginRequest checks a refresh token presented by ClientID.
type RefreshBeginRequest struct {
	Env          string `json:"env"`
	RefreshToken string `json:"refreshToken"`
	ClientID     string `json:"clientId"`
}

// RefreshGrant is the grant a valid, unused refresh token carries: what the
// frontdoor needs to build the user:tokens_generation event (origin
// "refresh_token_request") and the ID token's profile.
type RefreshGrant struct {
	FamilyID  string    `json:"familyId"`
	GrantID   string    `json:"grantId,omitempty"`
	ClientID  string    `json:"clientId"`
	Subject   string    `json:"subject"`
	OrgCode   string    `json:"orgCode,omitempty"`
	Scope     []string  `json:"scope,omitempty"`
	Audience  []string  `json:"audience,omitempty"`
	AMR       []string  `json:"amr,omitempty"`
	ACR       string    `json:"acr,omitempty"`
	AuthTime  time.Time `json:"authTime,omitzero"`
	SessionID string    `json:"sessionId,omitempty"`
	IssuedAt  time.Time `json:"issuedAt"`  // of this refresh token
	ExpiresAt time.Time `json:"expiresAt"` // of this refresh token
}

// RevokeRequest revokes a token (RFC 7009). TokenTypeHint is
// TokenTypeAccess or TokenTypeRefresh, or empty; the service recognises the
// token either way. ClientID, when set, must be the client the token was
// issued to: otherwise the call fails with permission_denied and
// ReasonClientMismatch. An unknown, expired, malformed or already revoked
// token is not an error: Revoked is false, and the frontdoor answers 200 as
// RFC 7009 §2.2 requires.
//
// Revoking a refresh token revokes its whole family and the access tokens
// issued from it (RFC 7009 §2.1). Revoking an access token puts its jti on the
// revoked list until it expires.
type RevokeRequest struct {
	Env           string `json:"env"`
	Token         string `json:"token"`
	TokenTypeHint string `json:"tokenTypeHint,omitempty"`
	ClientID      string `json:"clientId,omitempty"`
}

// RevokeResponse says what was revoked. TokenType is TokenTypeAccess or
// TokenTypeRefresh when the token was recognised.
type RevokeResponse struct {
	Revoked   bool   `json:"revoked"`
	TokenType string `json:"tokenType,omitempty"`
}

// RevokeGrantRequest revokes every refresh family and access token issued
// from the authorization code GrantID (IssueRequest.GrantID). Reason is kept
// with the revocation for operators ("code_reused").
type RevokeGrantRequest struct {
	Env     string `json:"env"`
	GrantID string `json:"grantId"`
	Reason  string `json:"reason,omitempty"`
}

// RevokeSubjectRequest revokes every token issued to Subject (a user id)
// in Env. Reason is kept with the revocation for operators.
type RevokeSubjectRequest struct {
	Env     string `json:"env"`
	Subject string `json:"subject"`
	Reason  string `json:"reason,omitempty"`
}

// RevokeGrantResponse counts what was newly revoked.
type RevokeGrantResponse struct {
	Families     int `json:"families"`
	AccessTokens int `json:"accessTokens"`
}

// IntrospectRequest asks about a token (RFC 7662). TokenTypeHint is
// TokenTypeAccess, TokenTypeRefresh or empty.
type IntrospectRequest struct {
	Env           string `json:"env"`
	Token         string `json:"token"`
	TokenTypeHint string `json:"tokenTypeHint,omitempty"`
}

// IntrospectResponse is the RFC 7662 §2.2 response, with the JSON names of
// the RFC so the frontdoor can send it as it is. Only Active is set for an
// inactive token: expired, revoked, rotated, signed by a retired, foreign or
// unknown key, with alg "none" or a symmetric alg, with a wrong issuer or
// type, or malformed. TokenType is "Bearer" for access tokens and
// "refresh_token" for refresh tokens.
type IntrospectResponse struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	OrgCode   string   `json:"org_code,omitempty"`
}

// JWKSRequest asks for an environment's public keys. An environment without
// keys gets its first key (of the default algorithm) made on the spot, so the
// set is never empty.
type JWKSRequest struct {
	Env string `json:"env"`
}

// RotateKeyRequest makes a new signing key for Alg in Env, which signs from
// then on; the key it replaces stays in the JWKS for the overlap period and
// is then retired. An empty Alg rotates every algorithm that has a key in
// the environment, and creates a key of the default algorithm if there is
// none.
type RotateKeyRequest struct {
	Env string `json:"env"`
	Alg string `json:"alg,omitempty"`
}

// RotateKeyResponse lists the new active keys.
type RotateKeyResponse struct {
	Keys []SigningKey `json:"keys"`
}

// SigningKey describes a signing key, never its private half.
// SupersededAt is set once a newer key replaced it; RetiresAt is when it
// leaves the JWKS.
type SigningKey struct {
	ID           string     `json:"id"` // the JWK kid
	Env          string     `json:"env"`
	Alg          string     `json:"alg"`
	CreatedAt    time.Time  `json:"createdAt"`
	SupersededAt *time.Time `json:"supersededAt,omitempty"`
	RetiresAt    *time.Time `json:"retiresAt,omitempty"`
}

// KeysChanged is the EventKeysChanged payload.
type KeysChanged struct {
	Env string `json:"env"`
}
