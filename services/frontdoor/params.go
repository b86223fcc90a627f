package frontdoor

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// maxFormBytes bounds the body of a form post and the query of a GET.
const maxFormBytes = 64 << 10

// maxParamBytes are the longest values accepted per parameter; a parameter
// not listed may be at most defaultMaxParamBytes.
var maxParamBytes = map[string]int{
	"client_id":                255,
	"client_secret":            255,
	"redirect_uri":             2048,
	"post_logout_redirect_uri": 2048,
	"state":                    2048,
	"nonce":                    512,
	"scope":                    1024,
	"audience":                 2048,
	"code":                     255,
	"code_verifier":            128,
	"code_challenge":           128,
	"code_challenge_method":    16,
	"login_hint":               320,
	"email":                    320,
	"p_password":               1024,
	"p_first_password":         1024,
	"p_second_password":        1024,
	"given_name":               1024, // 256 characters of up to 4 bytes
	"family_name":              1024,
	"org_code":                 255,
	"deploy_id":                255,
	"acr_values":               512,
	"preview_password":         1024,
	"refresh_token":            tapi.MaxTokenBytes,
	"token":                    tapi.MaxTokenBytes,
	"id_token_hint":            tapi.MaxTokenBytes,
}

const defaultMaxParamBytes = 256

// multiValued lists the parameters that may be repeated.
var multiValued = map[string]bool{"audience": true}

// checkParams refuses repeated parameters (RFC 6749 §3.1, §3.2) and values
// over their size limit, naming the parameter.
func checkParams(v url.Values) *oauth.Error {
	for name, vals := range v {
		if len(vals) > 1 && !multiValued[name] {
			return oauth.Errorf(oauth.CodeInvalidRequest, "parameter %s is repeated; send it once", paramName(name))
		}
		limit, ok := maxParamBytes[name]
		if !ok {
			limit = defaultMaxParamBytes
		}
		for _, val := range vals {
			if len(val) > limit {
				return oauth.Errorf(oauth.CodeInvalidRequest, "parameter %s is %d bytes long; the limit is %d", paramName(name), len(val), limit)
			}
		}
	}
	return nil
}

// paramName quotes an unknown parameter name safely for an error message.
func paramName(name string) string {
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	return strings.ToValidUTF8(name, "?")
}

// parsePost reads an application/x-www-form-urlencoded body of at most
// maxFormBytes, ignoring the URL query (credentials and codes are never
// taken from a URL), and checks its parameters.
func parsePost(w http.ResponseWriter, r *http.Request) (url.Values, *oauth.Error) {
	if r.Method != http.MethodPost {
		return nil, oauth.Errorf(oauth.CodeInvalidRequest, "use POST")
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return nil, oauth.Errorf(oauth.CodeInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, oauth.Errorf(oauth.CodeInvalidRequest, "the request body is over %d bytes", maxFormBytes)
		}
		return nil, oauth.Errorf(oauth.CodeInvalidRequest, "the request body is not a valid form: %v", err)
	}
	if e := checkParams(r.PostForm); e != nil {
		return nil, e
	}
	return r.PostForm, nil
}

// parseQuery reads and checks the URL query of a GET request.
func parseQuery(r *http.Request) (url.Values, *oauth.Error) {
	if len(r.URL.RawQuery) > maxFormBytes {
		return nil, oauth.Errorf(oauth.CodeInvalidRequest, "the query is over %d bytes", maxFormBytes)
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, oauth.Errorf(oauth.CodeInvalidRequest, "the query is malformed: %v", err)
	}
	if e := checkParams(q); e != nil {
		return nil, e
	}
	return q, nil
}

// splitScope splits a space-delimited scope (RFC 6749 §3.3), dropping
// duplicates.
func splitScope(s string) []string {
	var out []string
	for _, tok := range strings.Fields(s) {
		if !contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
