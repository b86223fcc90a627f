package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The RFC 7636 appendix B example.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestPKCE(t *testing.T) {
	if err := CheckChallenge(rfcChallenge, "S256"); err != nil {
		t.Fatal(err)
	}
	if err := CheckVerifier(rfcVerifier, rfcChallenge); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ challenge, method, want string }{
		{"", "S256", "code_challenge is required"},
		{rfcChallenge, "plain", "must be S256"},
		{rfcChallenge, "", "must be S256"},
		{"short", "S256", "base64url SHA-256"},
		{rfcChallenge + "AA", "S256", "base64url SHA-256"},
	} {
		err := CheckChallenge(c.challenge, c.method)
		if err == nil || err.Code != CodeInvalidRequest || !strings.Contains(err.Description, c.want) {
			t.Errorf("CheckChallenge(%q, %q) = %v, want %q", c.challenge, c.method, err, c.want)
		}
	}
	for _, v := range []string{
		rfcVerifier[:42],                          // too short
		strings.Repeat("a", 129),                  // too long
		rfcVerifier[:42] + "+",                    // bad character
		strings.Replace(rfcVerifier, "d", "e", 1), // wrong verifier
	} {
		if err := CheckVerifier(v, rfcChallenge); err == nil || err.Code != CodeInvalidGrant {
			t.Errorf("CheckVerifier(%q) = %v, want invalid_grant", v, err)
		}
	}
}

func TestErrorRendering(t *testing.T) {
	rec := httptest.NewRecorder()
	Errorf(CodeInvalidClient, "client authentication failed").Write(rec)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("invalid_client: %d %v", rec.Code, rec.Header())
	}
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] != "invalid_client" || body["error_description"] == "" {
		t.Fatalf("body %s", rec.Body)
	}
	rec = httptest.NewRecorder()
	Errorf(CodeInvalidGrant, "expired").Write(rec)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("invalid_grant status %d", rec.Code)
	}

	got, err := Errorf(CodeAccessDenied, "denied by a workflow").RedirectURL("https://app.example/cb?x=1", "st&ate", "https://id.example")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if u.Host != "app.example" || q.Get("x") != "1" || q.Get("error") != "access_denied" || q.Get("state") != "st&ate" ||
		q.Get("iss") != "https://id.example" || q.Get("error_description") != "denied by a workflow" {
		t.Fatalf("redirect %s", got)
	}
}
