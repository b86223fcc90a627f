package tokens

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// claimSet is a token's payload as it is built: standard claims first, then
// the caller's, then the workflow's.
type claimSet map[string]any

// set adds a standard claim, skipping empty values so that an absent
// organization or amr leaves no empty claim behind.
func (c claimSet) set(name string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case []string:
		if len(x) == 0 {
			return
		}
	case int64:
		if x == 0 {
			return
		}
	}
	c[name] = v
}

// audience sets aud as a string for one value and an array for more, as
// most relying parties expect.
func (c claimSet) audience(aud []string) {
	if len(aud) == 1 {
		c["aud"] = aud[0]
	} else {
		c.set("aud", aud)
	}
}

// addCaller adds the caller's own claims. A protocol claim name, or one the
// token already carries, is the caller's mistake.
func (c claimSet) addCaller(field string, claims map[string]json.RawMessage) error {
	if err := checkClaimsSize(field, claims); err != nil {
		return err
	}
	for _, name := range sortedNames(claims) {
		if name == "" {
			return invalid("%s has a claim with an empty name", field)
		}
		if c.collides(name) || foldContains(api.ProtocolClaims, name) {
			return invalid("%s may not set %q: the service sets it", field, name)
		}
		c[name] = claims[name]
	}
	return nil
}

// addWorkflow adds a workflow's claims for a token of kind, dropping the
// names the kind reserves and those already set, and returns the dropped
// ones as "kind:name", in name order.
func (c claimSet) addWorkflow(kind string, claims map[string]json.RawMessage) ([]string, error) {
	if err := checkClaimsSize("workflow claims for the "+kind, claims); err != nil {
		return nil, err
	}
	reserved := api.ReservedClaims(kind)
	var dropped []string
	for _, name := range sortedNames(claims) {
		if name == "" || c.collides(name) || foldContains(reserved, name) {
			dropped = append(dropped, kind+":"+name)
			continue
		}
		c[name] = claims[name]
	}
	return dropped, nil
}

// collides reports whether name equals a claim already set, ignoring case
// the way encoding/json does when it decodes into a struct (Unicode simple
// folding: "ſub" is "sub"). A relying party decoding claims into a struct
// would otherwise read a workflow's "SUB" or "ſub" as the subject.
func (c claimSet) collides(name string) bool {
	for have := range c {
		if strings.EqualFold(have, name) {
			return true
		}
	}
	return false
}

// foldContains is slices.Contains under the same folding.
func foldContains(list []string, name string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) })
}

// dropAll reports every workflow claim as dropped, for tokens that may not
// be modified.
func dropAll(kind string, claims map[string]json.RawMessage) []string {
	var out []string
	for _, name := range sortedNames(claims) {
		out = append(out, kind+":"+name)
	}
	return out
}

func checkClaimsSize(field string, claims map[string]json.RawMessage) error {
	n := 0
	for name, v := range claims {
		n += len(name) + len(v) + 4
	}
	if n > api.MaxClaimsBytes {
		return invalid("%s are %d bytes, over the %d-byte limit", field, n, api.MaxClaimsBytes)
	}
	return nil
}

func sortedNames(m map[string]json.RawMessage) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// atHash is the OIDC at_hash of an access token for ES256 and RS256: the
// left half of its SHA-256, base64url-encoded.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// scopeString is the space-separated form of a scope.
func scopeString(scope []string) string { return strings.Join(scope, " ") }
