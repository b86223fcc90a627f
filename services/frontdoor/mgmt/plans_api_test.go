package mgmt_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
)

// testPlans runs the plan endpoints through the description: a plan, a
// user put on it (no workflow is live, so nothing refuses) and cancelled.
func testPlans(t *testing.T, h *harness) {
	const env = "plansapi"
	h.env(env)
	tok := h.token(t, env, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers)
	a := h.do(t, call{env: env, token: tok, method: "POST", path: "/plans", json: map[string]any{"code": "pro", "name": "Pro", "position": 2}})
	want(t, a, http.StatusCreated, "")
	var plans mgmt.PlanList
	h.do(t, call{env: env, token: tok, method: "GET", path: "/plans"}).decode(t, &plans)
	if len(plans.Plans) != 1 || plans.Plans[0].Code != "pro" {
		t.Fatalf("plans %+v", plans)
	}
	var u mgmt.User
	h.do(t, call{env: env, token: tok, method: "POST", path: "/users", json: map[string]any{"email": "plan@example.com"}}).decode(t, &u)
	var up mgmt.UserPlan
	h.do(t, call{env: env, token: tok, method: "GET", path: "/users/" + u.ID + "/plan"}).decode(t, &up)
	if up.Agreement != nil || up.Plan != nil {
		t.Fatalf("a new user has plan %+v", up)
	}
	a = h.do(t, call{env: env, token: tok, method: "PUT", path: "/users/" + u.ID + "/plan", json: map[string]any{"planCode": "pro"}})
	want(t, a, http.StatusOK, "")
	a.decode(t, &up)
	if up.Agreement == nil || up.Agreement.Status != "active" || up.Plan.Code != "pro" {
		t.Fatalf("changed plan %+v", up)
	}
	a = h.do(t, call{env: env, token: tok, method: "POST", path: "/users/" + u.ID + "/plan/cancel"})
	want(t, a, http.StatusOK, "")
	up = mgmt.UserPlan{}
	a.decode(t, &up)
	if up.Agreement == nil || up.Agreement.Status != "cancelled" {
		t.Fatalf("cancelled plan %+v", up)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "POST", path: "/users/" + u.ID + "/plan/cancel"}), http.StatusConflict, mgmt.CodeFailedPrecondition)
	want(t, h.do(t, call{env: env, token: tok, method: "PUT", path: "/users/" + u.ID + "/plan", json: map[string]any{"planCode": "gold"}}),
		http.StatusNotFound, mgmt.CodeNotFound)
}
