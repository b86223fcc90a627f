package frontdoor

import "net/http"

// accountPlanPage serves GET /account/plan.
func (s *Server) accountPlanPage(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "plans are not available yet", http.StatusNotImplemented)
}

// accountPlan serves POST /account/plan.
func (s *Server) accountPlan(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "plans are not available yet", http.StatusNotImplemented)
}
