package frontdoor

import "net/http"

// signUpPage serves GET /sign-up.
func (s *Server) signUpPage(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "sign-up is not available yet", http.StatusNotImplemented)
}

// signUp serves POST /sign-up.
func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "sign-up is not available yet", http.StatusNotImplemented)
}
