package frontdoor

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Cookie names. Over https they take the __Host- prefix, which binds them
// to the exact host, path / and Secure: no sibling subdomain can plant or
// overwrite them.
const (
	csrfCookie    = "gh_csrf"
	sessionCookie = "gh_session_" // + environment
	flowCookie    = "gh_flow_"    // + environment
	previewCookie = "gh_preview_" // + environment
	hostPrefix    = "__Host-"
)

// csrfField is the form field carrying the anti-forgery token.
const csrfField = "csrf_token"

// cookieName is the name of cookie name in env: the names ending in "_"
// are per environment, so that signing in to one environment does not
// replace the session of another on the same host.
func (s *Server) cookieName(env, name string) string {
	if strings.HasSuffix(name, "_") {
		name += env
	}
	if s.secure(env) {
		return hostPrefix + name
	}
	return name
}

// setCookie sets an HttpOnly, SameSite=Lax cookie on path / (Secure over
// https); a zero expiry makes a browser-session cookie, a past one deletes
// it.
func (s *Server) setCookie(w http.ResponseWriter, env, name, value string, expires time.Time) {
	c := &http.Cookie{Name: s.cookieName(env, name), Value: value, Path: "/", HttpOnly: true,
		Secure: s.secure(env), SameSite: http.SameSiteLaxMode}
	if !expires.IsZero() {
		c.Expires = expires
		if !expires.After(s.now()) {
			c.MaxAge = -1
		}
	}
	http.SetCookie(w, c)
}

func (s *Server) cookie(r *http.Request, env, name string) string {
	c, err := r.Cookie(s.cookieName(env, name))
	if err != nil {
		return ""
	}
	return c.Value
}

// csrfToken returns the request's anti-forgery token, setting a new one in
// a cookie when it has none (double-submit: the form repeats the cookie).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request, env string) (string, error) {
	if tok := s.cookie(r, env, csrfCookie); validToken(tok) {
		return tok, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	s.setCookie(w, env, csrfCookie, tok, time.Time{})
	return tok, nil
}

// checkCSRF reports whether the form's anti-forgery token equals the
// cookie's, compared in constant time. A missing token never matches.
func (s *Server) checkCSRF(r *http.Request, env string, form url.Values) bool {
	cookie, field := s.cookie(r, env, csrfCookie), form.Get(csrfField)
	if !validToken(cookie) || !validToken(field) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(cookie), []byte(field)) == 1
}

// validToken accepts 43 characters of base64url: 256 random bits.
func validToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}
