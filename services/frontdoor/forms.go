package frontdoor

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
)

// formExpired renders the page for a form whose anti-forgery token is
// missing or wrong: nothing was done. what names the form ("sign-in",
// "sign-up"), or is empty.
func formExpired(w http.ResponseWriter, what string) {
	title, text := "Your form expired", "The form was not sent from this page, or it is too old. Go back, reload the page and try again."
	if what != "" {
		title = "Your " + what + " form expired"
		text = "The form was not sent from this " + what + " page, or it is too old. Go back, reload the page and try again."
	}
	pages.Render(w, http.StatusForbidden, pages.Message{Title: title, Text: text})
}

// postedForm reads the form posted to a hosted page and checks its
// anti-forgery token. On failure it writes the page (onForged, if set, is
// called for a bad token) and ok is false.
func (s *Server) postedForm(w http.ResponseWriter, r *http.Request, what string, onForged func()) (form url.Values, ok bool) {
	form, e := parsePost(w, r)
	if e != nil {
		badQuery(w, e)
		return nil, false
	}
	if !s.checkCSRF(r, envOf(r.Context()), form) {
		if onForged != nil {
			onForged()
		}
		formExpired(w, what)
		return nil, false
	}
	return form, true
}

// postedAuthForm is postedForm for a page whose URL carries the
// authorization request (sign-in, sign-up, reset, preview): it also checks
// that request. On failure the answer is written and ok is false.
func (s *Server) postedAuthForm(w http.ResponseWriter, r *http.Request, what string, onForged func()) (ar *authRequest, form url.Values, ok bool) {
	q, e := parseQuery(r)
	if e != nil {
		badQuery(w, e)
		return nil, nil, false
	}
	if form, ok = s.postedForm(w, r, what, onForged); !ok {
		return nil, nil, false
	}
	ar, f := s.parseAuthRequest(r.Context(), envOf(r.Context()), q)
	if f != nil {
		s.fail(w, r, ar, f)
		return nil, nil, false
	}
	return ar, form, true
}
