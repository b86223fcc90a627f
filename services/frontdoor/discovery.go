package frontdoor

import (
	"net/http"

	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// Supported scopes: OpenID Connect's, and offline_access for a refresh
// token.
const (
	scopeOpenID        = "openid"
	scopeProfile       = "profile"
	scopeEmail         = "email"
	scopeOfflineAccess = "offline_access"
)

var supportedScopes = []string{scopeOpenID, scopeProfile, scopeEmail, scopeOfflineAccess}

// Client authentication methods.
const (
	authSecretBasic = "client_secret_basic"
	authSecretPost  = "client_secret_post"
	authNone        = "none"
)

// discoveryDoc is the OpenID Provider Metadata (OIDC Discovery 1.0 §3,
// RFC 8414 §2).
type discoveryDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ResponseTypes                     []string `json:"response_types_supported"`
	ResponseModes                     []string `json:"response_modes_supported"`
	GrantTypes                        []string `json:"grant_types_supported"`
	SubjectTypes                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgs                []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods              []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethods  []string `json:"introspection_endpoint_auth_methods_supported"`
	Scopes                            []string `json:"scopes_supported"`
	Claims                            []string `json:"claims_supported"`
	PromptValues                      []string `json:"prompt_values_supported"`
	ACRValues                         []string `json:"acr_values_supported"`
	AuthorizationResponseIssParameter bool     `json:"authorization_response_iss_parameter_supported"`
	RequestParameterSupported         bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	ClaimsParameterSupported          bool     `json:"claims_parameter_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	BackchannelLogoutSupported        bool     `json:"backchannel_logout_supported"`
	AccessTokenSigningAlgs            []string `json:"access_token_signing_alg_values_supported"`
}

// discovery serves GET /.well-known/openid-configuration.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	env := envOf(r.Context())
	algs := []string{tapi.AlgES256, tapi.AlgRS256}
	writeJSONCached(w, discoveryDoc{
		Issuer:                            s.issuer(env),
		AuthorizationEndpoint:             s.endpoint(env, pathAuthorize),
		TokenEndpoint:                     s.endpoint(env, pathToken),
		UserinfoEndpoint:                  s.endpoint(env, pathUserinfo),
		JWKSURI:                           s.endpoint(env, pathJWKS),
		RevocationEndpoint:                s.endpoint(env, pathRevoke),
		IntrospectionEndpoint:             s.endpoint(env, pathIntrospect),
		EndSessionEndpoint:                s.endpoint(env, pathLogout),
		ResponseTypes:                     []string{"code"},
		ResponseModes:                     []string{"query"},
		GrantTypes:                        []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials},
		SubjectTypes:                      []string{"public"},
		IDTokenSigningAlgs:                algs,
		CodeChallengeMethods:              []string{"S256"},
		TokenEndpointAuthMethods:          []string{authSecretBasic, authSecretPost, authNone},
		RevocationEndpointAuthMethods:     []string{authSecretBasic, authSecretPost, authNone},
		IntrospectionEndpointAuthMethods:  []string{authSecretBasic, authSecretPost},
		Scopes:                            supportedScopes,
		Claims:                            supportedClaims,
		PromptValues:                      []string{"none", "login", "create", "consent", "select_account"},
		ACRValues:                         []string{acrMFA, acrMFAShort},
		AuthorizationResponseIssParameter: true,
		AccessTokenSigningAlgs:            algs,
	})
}

// supportedClaims are the claims ID tokens and userinfo may carry.
var supportedClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "azp", "sid", "at_hash",
	"org_code", "email", "email_verified", "name", "given_name", "family_name", "updated_at",
}
