package tokens

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// Limits on single values beyond api's.
const (
	maxValueLen  = 2048 // an audience, an acr
	maxNonceLen  = 512
	maxReasonLen = 200
)

func invalid(format string, args ...any) error {
	return natsrpc.Errorf(natsrpc.CodeInvalidArgument, format, args...)
}

func validateEnv(env string) error {
	if err := envname.Validate(env); err != nil {
		return invalid("%v", err)
	}
	return nil
}

// validateText checks a single identifier or value: at most max bytes of
// UTF-8 without control characters; empty is allowed unless required.
func validateText(field, v string, max int, required bool) error {
	switch {
	case v == "" && required:
		return invalid("%s is required", field)
	case len(v) > max:
		return invalid("%s is %d bytes, over the %d-byte limit", field, len(v), max)
	case !utf8.ValidString(v):
		return invalid("%s is not valid UTF-8", field)
	case strings.ContainsFunc(v, unicode.IsControl):
		return invalid("%s contains control characters", field)
	}
	return nil
}

// normaliseList checks a list of values and drops duplicates, keeping the
// first occurrence's order.
func normaliseList(field string, list []string, max int) ([]string, error) {
	if len(list) > api.MaxListLen {
		return nil, invalid("%s has %d entries, over the limit of %d", field, len(list), api.MaxListLen)
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		if v == "" {
			return nil, invalid("%s[%d] is empty", field, i)
		}
		if err := validateText(fmt.Sprintf("%s[%d]", field, i), v, max, true); err != nil {
			return nil, err
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// normaliseScope checks scope tokens as RFC 6749 §3.3 defines them
// (printable ASCII without space, '"' or '\') and drops duplicates.
func normaliseScope(scope []string) ([]string, error) {
	for i, s := range scope {
		for _, r := range s {
			if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
				return nil, invalid("scope[%d] %q is not a valid scope token (RFC 6749 §3.3)", i, s)
			}
		}
	}
	return normaliseList("scope", scope, maxValueLen)
}

// validateIssue checks an IssueRequest and normalises its lists.
func validateIssue(req *api.IssueRequest) error {
	if err := validateEnv(req.Env); err != nil {
		return err
	}
	if err := validateText("clientId", req.ClientID, api.MaxIDLen, true); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"grantId", req.GrantID, api.MaxIDLen}, {"subject", req.Subject, api.MaxIDLen},
		{"orgCode", req.OrgCode, api.MaxIDLen}, {"sessionId", req.SessionID, api.MaxIDLen},
		{"acr", req.ACR, maxValueLen}, {"nonce", req.Nonce, maxNonceLen},
	} {
		if err := validateText(f.name, f.v, f.max, false); err != nil {
			return err
		}
	}
	var err error
	if req.Scope, err = normaliseScope(req.Scope); err != nil {
		return err
	}
	if req.Audience, err = normaliseList("audience", req.Audience, maxValueLen); err != nil {
		return err
	}
	if req.AMR, err = normaliseList("amr", req.AMR, api.MaxIDLen); err != nil {
		return err
	}
	if req.Alg != "" && req.Alg != api.AlgES256 && req.Alg != api.AlgRS256 {
		return invalid("alg %q is not supported: use %s or %s", req.Alg, api.AlgES256, api.AlgRS256)
	}
	if !req.AuthTime.IsZero() && req.AuthTime.Unix() <= 0 {
		return invalid("authTime %s is not a valid time", req.AuthTime)
	}
	l := req.Lifetimes
	if l.AccessSeconds < 0 || l.IDSeconds < 0 || l.RefreshSeconds < 0 {
		return invalid("lifetimes must not be negative")
	}

	switch req.Grant {
	case api.GrantAuthorizationCode:
		if req.Subject == "" {
			return invalid("subject is required for the %s grant", req.Grant)
		}
		if req.Rotate != "" {
			return invalid("rotate is only for the %s grant", api.GrantRefreshToken)
		}
		if len(req.Workflow.M2MTokenClaims) > 0 {
			return invalid("workflow.m2mTokenClaims apply only to the %s grant", api.GrantClientCredentials)
		}
	case api.GrantRefreshToken:
		if req.Rotate == "" {
			return invalid("rotate (the refresh token checked by %s) is required for the %s grant", api.SubjectRefreshBegin, req.Grant)
		}
		if req.Nonce != "" {
			return invalid("nonce must be empty for the %s grant (OIDC Core §12.2)", req.Grant)
		}
		if len(req.Workflow.M2MTokenClaims) > 0 {
			return invalid("workflow.m2mTokenClaims apply only to the %s grant", api.GrantClientCredentials)
		}
	case api.GrantClientCredentials:
		var set []string
		for name, isSet := range map[string]bool{
			"subject": req.Subject != "", "nonce": req.Nonce != "", "amr": len(req.AMR) > 0,
			"acr": req.ACR != "", "authTime": !req.AuthTime.IsZero(), "sessionId": req.SessionID != "",
			"profile": len(req.Profile) > 0, "refreshToken": req.RefreshToken, "rotate": req.Rotate != "",
			"workflow.accessTokenClaims": len(req.Workflow.AccessTokenClaims) > 0,
			"workflow.idTokenClaims":     len(req.Workflow.IDTokenClaims) > 0,
			"lifetimes.idSeconds":        l.IDSeconds != 0, "lifetimes.refreshSeconds": l.RefreshSeconds != 0,
		} {
			if isSet {
				set = append(set, name)
			}
		}
		if len(set) > 0 {
			slices.Sort(set)
			return invalid("%s must be empty for the %s grant (the token has no user; no ID or refresh token is issued)",
				strings.Join(set, ", "), req.Grant)
		}
	case "":
		return invalid("grant is required: %s, %s or %s", api.GrantAuthorizationCode, api.GrantRefreshToken, api.GrantClientCredentials)
	default:
		return invalid("grant %q is not supported: use %s, %s or %s", req.Grant,
			api.GrantAuthorizationCode, api.GrantRefreshToken, api.GrantClientCredentials)
	}
	return nil
}

// lifetimes are the token lifetimes of one request.
type lifetimes struct {
	access, id, refresh time.Duration
}

// lifetimesFor applies a request's overrides to the configured lifetimes.
func (s *Service) lifetimesFor(l api.Lifetimes) (lifetimes, error) {
	out := lifetimes{access: s.cfg.AccessTTL, id: s.cfg.IDTTL, refresh: s.cfg.RefreshTTL}
	maxSeconds := int64(s.cfg.KeyOverlap / time.Second)
	if l.AccessSeconds > maxSeconds || l.IDSeconds > maxSeconds {
		return out, invalid("access and ID token lifetimes may not exceed the signing-key overlap period (%v): the token would outlive its key",
			s.cfg.KeyOverlap)
	}
	if l.RefreshSeconds > int64(10*365*24*time.Hour/time.Second) {
		return out, invalid("lifetimes.refreshSeconds %d is over ten years", l.RefreshSeconds)
	}
	if l.AccessSeconds > 0 {
		out.access = time.Duration(l.AccessSeconds) * time.Second
	}
	if l.IDSeconds > 0 {
		out.id = time.Duration(l.IDSeconds) * time.Second
	}
	if l.RefreshSeconds > 0 {
		out.refresh = time.Duration(l.RefreshSeconds) * time.Second
	}
	return out, nil
}

// validateToken checks a token presented for refresh, revocation or
// introspection.
func validateToken(field, token string) error {
	if token == "" {
		return invalid("%s is required", field)
	}
	if len(token) > api.MaxTokenBytes {
		return invalid("%s is %d bytes, over the %d-byte limit", field, len(token), api.MaxTokenBytes)
	}
	return nil
}
