package frontdoor_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

// The reasons and suggestions of the denyplanchange and denycancellation
// examples.
const (
	denyChangeReason = "You can't move to the free plan while your account uses paid features."
	denyCancelReason = "Annual plans can't be cancelled before the end of the term. Contact billing to discuss options."
)

var denyChangeSuggestions = []string{"Remove the paid features you use, then try again", "Choose the starter plan instead"}

// TestPlans runs the plan scenarios (the /account/plan page and the
// management API's plan endpoints) against one platform.
func TestPlans(t *testing.T) {
	h := startPlatform(t)
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *harness)
	}{
		{"select_and_cancel", testPlanSelectAndCancel},
		{"workflow_denials", testPlanDenials},
		{"failure_policy_stop", testPlanFailurePolicyStop},
		{"csrf", testPlanCSRF},
		{"no_session", testPlanNoSession},
		{"unknown_plan", testPlanUnknown},
		{"management_api", testPlanManagementAPI},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, h) })
	}
}

// planUser is a signed-in user of env with a browser holding the session.
type planUser struct {
	h    *harness
	env  string
	user *identity.User
	b    *browser
}

// seedPlans creates env (unless it is the default one) with the plans free,
// starter, pro and pro_annual.
func (h *harness) seedPlans(t *testing.T, env string) {
	t.Helper()
	if env != defaultEnv {
		h.env(env)
	}
	for i, p := range [][2]string{{"free", "Free"}, {"starter", "Starter"}, {"pro", "Pro"}, {"pro_annual", "Pro (annual)"}} {
		if _, err := h.ids.CreatePlan(testContext(t), identity.NewPlan{Env: env, Code: p[0], Name: p[1],
			Description: p[1] + " features", Position: i}); err != nil {
			t.Fatal(err)
		}
	}
}

// planSignedIn creates a user of env, on plan (none when ""), signed in
// through the sign-in page.
func (h *harness) planSignedIn(t *testing.T, env, email, plan string) *planUser {
	t.Helper()
	u := h.user(t, env, email, password)
	if plan != "" {
		if _, err := h.ids.ChangePlan(testContext(t), identity.PlanChange{Env: env, UserID: u.ID, PlanCode: plan}); err != nil {
			t.Fatal(err)
		}
	}
	app, secret := webApp(t, h, env)
	b := newBrowser(t)
	b.signIn(newClient(t, h, env, app, secret).authRequest().url, email, password)
	return &planUser{h: h, env: env, user: u, b: b}
}

func (pu *planUser) pageURL() string { return pu.h.issuer(pu.env) + "/account/plan" }

// open gets the plan page and checks it is shown.
func (pu *planUser) open(t *testing.T) page {
	t.Helper()
	p := pu.b.get(pu.pageURL())
	if p.Status != http.StatusOK {
		t.Fatalf("plan page: %d\n%s", p.Status, p.Body)
	}
	return p
}

// csrf is the anti-forgery token of the plan page's forms.
func (pu *planUser) csrf(t *testing.T) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(pu.open(t).Body)
	if m == nil {
		t.Fatal("no CSRF token on the plan page")
	}
	return html.UnescapeString(m[1])
}

func (pu *planUser) choose(t *testing.T, plan string) page {
	t.Helper()
	return pu.b.post(pu.pageURL(), url.Values{"csrf_token": {pu.csrf(t)}, "action": {"select"}, "plan": {plan}})
}

func (pu *planUser) cancel(t *testing.T) page {
	t.Helper()
	return pu.b.post(pu.pageURL(), url.Values{"csrf_token": {pu.csrf(t)}, "action": {"cancel"}})
}

// active returns the code of the user's active plan, "" when none.
func (pu *planUser) active(t *testing.T) string {
	t.Helper()
	ag, err := pu.h.ids.ActiveAgreement(testContext(t), pu.env, pu.user.ID)
	if errors.Is(err, identity.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return ag.PlanCode
}

// wantPlan fails unless the user's active plan is plan.
func (pu *planUser) wantPlan(t *testing.T, plan string) {
	t.Helper()
	if got := pu.active(t); got != plan {
		t.Fatalf("active plan %q, want %q", got, plan)
	}
}

// reset puts the user back on plan, bypassing the workflows.
func (pu *planUser) reset(t *testing.T, plan string) {
	t.Helper()
	ctx := testContext(t)
	var from *identity.Agreement
	if ag, err := pu.h.ids.ActiveAgreement(ctx, pu.env, pu.user.ID); err == nil {
		from = ag
	}
	if from != nil && from.PlanCode == plan {
		return
	}
	if _, err := pu.h.ids.ChangePlan(ctx, identity.PlanChange{Env: pu.env, UserID: pu.user.ID, PlanCode: plan, From: from}); err != nil {
		t.Fatal(err)
	}
}

// wantRedirectToPage checks the answer to a change that went through.
func (pu *planUser) wantRedirectToPage(t *testing.T, p page, done string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != pu.pageURL()+"?done="+done {
		t.Fatalf("want a redirect to the plan page (%s), got %d %q\n%s", done, p.Status, p.Location, p.Body)
	}
}

// planText is the page's body with HTML entities decoded.
func (p page) planText() string { return html.UnescapeString(p.Body) }

func testPlanSelectAndCancel(t *testing.T, h *harness) {
	h.seedPlans(t, defaultEnv)
	pu := h.planSignedIn(t, defaultEnv, "plans@example.com", "")

	p := pu.open(t)
	if !strings.Contains(p.Body, "You have no plan.") || !strings.Contains(p.Body, "Signed in as plans@example.com.") ||
		strings.Contains(p.Body, "Cancel plan") {
		t.Fatalf("page without a plan:\n%s", p.Body)
	}
	for _, code := range []string{"free", "starter", "pro", "pro_annual"} {
		if !strings.Contains(p.Body, `<input type="hidden" name="plan" value="`+code+`">`) {
			t.Fatalf("no form to choose %s:\n%s", code, p.Body)
		}
	}
	if n := strings.Count(p.Body, `name="csrf_token"`); n != 4 {
		t.Fatalf("%d forms carry the CSRF token, want 4 (one per plan)", n)
	}
	if strings.Contains(p.Body, "<script") {
		t.Fatal("the plan page uses scripts")
	}

	pu.wantRedirectToPage(t, pu.choose(t, "pro"), "changed")
	pu.wantPlan(t, "pro")
	first, err := h.ids.ActiveAgreement(testContext(t), defaultEnv, pu.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	p = pu.b.get(pu.pageURL() + "?done=changed")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Your plan is now Pro.") ||
		!strings.Contains(p.Body, "<p><strong>Pro</strong></p>") || !strings.Contains(p.Body, "Cancel plan") ||
		strings.Contains(p.Body, `name="plan" value="pro"`) {
		t.Fatalf("page after the change:\n%s", p.Body)
	}

	// A change keeps the agreement.
	pu.wantRedirectToPage(t, pu.choose(t, "starter"), "changed")
	pu.wantPlan(t, "starter")
	if ag, err := h.ids.ActiveAgreement(testContext(t), defaultEnv, pu.user.ID); err != nil || ag.ID != first.ID {
		t.Fatalf("agreement after a change: %+v, %v; want %s", ag, err, first.ID)
	}
	// Choosing the current plan changes nothing.
	pu.wantRedirectToPage(t, pu.choose(t, "starter"), "changed")
	pu.wantPlan(t, "starter")

	pu.wantRedirectToPage(t, pu.cancel(t), "cancelled")
	pu.wantPlan(t, "")
	latest, err := h.ids.LatestAgreement(testContext(t), defaultEnv, pu.user.ID)
	if err != nil || latest.ID != first.ID || latest.Status != identity.AgreementCancelled || latest.CancelledAt == nil {
		t.Fatalf("agreement after cancelling: %+v, %v", latest, err)
	}
	p = pu.b.get(pu.pageURL() + "?done=cancelled")
	if !strings.Contains(p.Body, "Your plan is cancelled.") || !strings.Contains(p.Body, "You have no plan.") {
		t.Fatalf("page after cancelling:\n%s", p.Body)
	}
	// Nothing left to cancel.
	p = pu.cancel(t)
	if p.Status != http.StatusConflict || !strings.Contains(p.Body, "You have no plan to cancel.") {
		t.Fatalf("second cancel: %d\n%s", p.Status, p.Body)
	}
	// A form that asks for nothing known.
	p = pu.b.post(pu.pageURL(), url.Values{"csrf_token": {pu.csrf(t)}, "action": {"upgrade"}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Choose a plan, or cancel your plan.") {
		t.Fatalf("unknown action: %d\n%s", p.Status, p.Body)
	}
	// Choosing again after cancelling starts a new agreement.
	pu.wantRedirectToPage(t, pu.choose(t, "free"), "changed")
	if ag, err := h.ids.ActiveAgreement(testContext(t), defaultEnv, pu.user.ID); err != nil || ag.ID == first.ID || ag.PlanCode != "free" {
		t.Fatalf("agreement after choosing again: %+v, %v", ag, err)
	}
}

// testPlanDenials: the denyplanchange and denycancellation examples refuse
// a downgrade to free and the cancellation of an annual plan; the page
// shows their reason (and suggestions) and the plan stays as it was.
func testPlanDenials(t *testing.T, h *harness) {
	const env = "plandeny"
	h.seedPlans(t, env)
	h.upload(t, env, wasmbuild.ForTest(t, "../../wasm-sdk/examples/denyplanchange"))
	h.upload(t, env, wasmbuild.ForTest(t, "../../wasm-sdk/examples/denycancellation"))
	pu := h.planSignedIn(t, env, "deny@example.com", "pro")

	// The workflows go live on the frontdoor a moment after the upload;
	// until then a change goes through, and is undone.
	var p page
	eventually(t, "the plan selection workflow", func() error {
		pu.reset(t, "pro")
		if p = pu.choose(t, "free"); p.Status == http.StatusSeeOther {
			return errors.New("the downgrade went through")
		}
		return nil
	})
	if p.Status != http.StatusForbidden || !strings.Contains(p.planText(), `<div class="alert" role="alert" id="plan-error"><p>`+denyChangeReason+`</p>`) {
		t.Fatalf("denied change: %d\n%s", p.Status, p.Body)
	}
	for _, s := range denyChangeSuggestions {
		if !strings.Contains(p.planText(), "<li>"+s+"</li>") {
			t.Fatalf("suggestion %q not shown:\n%s", s, p.Body)
		}
	}
	if !strings.Contains(p.Body, "<p><strong>Pro</strong></p>") {
		t.Fatalf("the denied page does not show the current plan:\n%s", p.Body)
	}
	pu.wantPlan(t, "pro")

	// Other changes go through.
	pu.wantRedirectToPage(t, pu.choose(t, "pro_annual"), "changed")
	pu.wantPlan(t, "pro_annual")

	eventually(t, "the plan cancellation workflow", func() error {
		pu.reset(t, "pro_annual")
		if p = pu.cancel(t); p.Status == http.StatusSeeOther {
			return errors.New("the cancellation went through")
		}
		return nil
	})
	if p.Status != http.StatusForbidden || !strings.Contains(p.planText(), "<p>"+denyCancelReason+"</p>") {
		t.Fatalf("denied cancellation: %d\n%s", p.Status, p.Body)
	}
	pu.wantPlan(t, "pro_annual")

	// The same workflows answer the management API.
	api := h.planAPI(t, env, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers)
	status, body := api.do(t, http.MethodPost, "/users/"+pu.user.ID+"/plan/cancel", "")
	var denied mgmt.PlanDeniedResponse
	planDecode(t, body, &denied)
	if status != http.StatusConflict || len(denied.Errors) != 1 || denied.Errors[0].Code != mgmt.CodePlanCancellationDenied ||
		denied.Errors[0].Message != denyCancelReason {
		t.Fatalf("API cancellation: %d %s", status, body)
	}
	pu.wantPlan(t, "pro_annual")
	status, body = api.do(t, http.MethodPut, "/users/"+pu.user.ID+"/plan", `{"planCode":"free"}`)
	denied = mgmt.PlanDeniedResponse{}
	planDecode(t, body, &denied)
	if status != http.StatusConflict || len(denied.Errors) != 1 || denied.Errors[0].Code != mgmt.CodePlanChangeDenied ||
		denied.Errors[0].Message != denyChangeReason || !slices.Equal(denied.Errors[0].Suggestions, denyChangeSuggestions) {
		t.Fatalf("API change: %d %s", status, body)
	}
	pu.wantPlan(t, "pro_annual")
	status, body = api.do(t, http.MethodPut, "/users/"+pu.user.ID+"/plan", `{"planCode":"starter"}`)
	if status != http.StatusOK {
		t.Fatalf("allowed API change: %d %s", status, body)
	}
	pu.wantPlan(t, "starter")
}

// testPlanFailurePolicyStop: a plan workflow that fails with failure
// policy stop refuses the change (fail closed) and says so.
func testPlanFailurePolicyStop(t *testing.T, h *harness) {
	const env = "planfail"
	h.seedPlans(t, env)
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/planfail"))
	pu := h.planSignedIn(t, env, "fail@example.com", "free")

	var p page
	eventually(t, "the failing workflow", func() error {
		pu.reset(t, "free")
		if p = pu.choose(t, "pro"); p.Status == http.StatusSeeOther {
			return errors.New("the change went through")
		}
		return nil
	})
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "A check that runs on plan changes failed, so your plan was not changed.") {
		t.Fatalf("failed workflow: %d\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, "billing API") {
		t.Fatalf("the workflow's error reached the page:\n%s", p.Body)
	}
	pu.wantPlan(t, "free")

	api := h.planAPI(t, env, mgmt.ScopeWriteUsers)
	status, body := api.do(t, http.MethodPut, "/users/"+pu.user.ID+"/plan", `{"planCode":"pro"}`)
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), `"code":"workflow_failed"`) ||
		!strings.Contains(string(body), "user:plan_selection workflow failed (workflow_error)") {
		t.Fatalf("API change with a failing workflow: %d %s", status, body)
	}
	pu.wantPlan(t, "free")

	// Cancelling runs another trigger, with no workflow: it goes through.
	pu.wantRedirectToPage(t, pu.cancel(t), "cancelled")
	pu.wantPlan(t, "")
}

// testPlanCSRF: a form without the anti-forgery token, or with another
// one, changes nothing.
func testPlanCSRF(t *testing.T, h *harness) {
	const env = "plancsrf"
	h.seedPlans(t, env)
	pu := h.planSignedIn(t, env, "csrf@example.com", "pro")
	pu.open(t) // sets the CSRF cookie
	other := randomString() + randomString()[:21]
	for name, form := range map[string]url.Values{
		"missing":       {"action": {"select"}, "plan": {"free"}},
		"empty":         {"csrf_token": {""}, "action": {"select"}, "plan": {"free"}},
		"another token": {"csrf_token": {other}, "action": {"select"}, "plan": {"free"}},
		"cancel":        {"action": {"cancel"}},
	} {
		p := pu.b.post(pu.pageURL(), form)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Your form expired") {
			t.Fatalf("%s token: %d\n%s", name, p.Status, p.Body)
		}
		pu.wantPlan(t, "pro")
	}
	// The page's own token works.
	pu.wantRedirectToPage(t, pu.choose(t, "free"), "changed")
	pu.wantPlan(t, "free")
}

// testPlanNoSession: without a session the page asks to sign in and shows
// nothing else; a form posted without one changes nothing.
func testPlanNoSession(t *testing.T, h *harness) {
	const env = "plannosession"
	h.seedPlans(t, env)
	pu := h.planSignedIn(t, env, "nosession@example.com", "pro")

	b := newBrowser(t)
	p := b.get(pu.pageURL())
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Sign in to manage your plan") {
		t.Fatalf("no session: %d\n%s", p.Status, p.Body)
	}
	for _, leak := range []string{"Pro", "Free", "nosession@example.com", "csrf_token", "<form"} {
		if strings.Contains(p.Body, leak) {
			t.Fatalf("the sign-in page shows %q:\n%s", leak, p.Body)
		}
	}
	// A form with a valid anti-forgery pair but no session.
	app, secret := webApp(t, h, env)
	_, csrf := b.openSignIn(newClient(t, h, env, app, secret).authRequest().url).form(t)
	for _, form := range []url.Values{
		{"csrf_token": {csrf}, "action": {"select"}, "plan": {"free"}},
		{"csrf_token": {csrf}, "action": {"cancel"}},
	} {
		p = b.post(pu.pageURL(), form)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Sign in to manage your plan") {
			t.Fatalf("form without a session: %d\n%s", p.Status, p.Body)
		}
	}
	pu.wantPlan(t, "pro")

	// A session of another environment is no session here.
	p = pu.b.get(h.issuer(defaultEnv) + "/account/plan")
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Sign in to manage your plan") {
		t.Fatalf("session of another environment: %d\n%s", p.Status, p.Body)
	}

}

// testPlanUnknown: an unknown or malformed plan code is refused with a
// clear message, and the plan stays.
func testPlanUnknown(t *testing.T, h *harness) {
	const env = "planunknown"
	h.seedPlans(t, env)
	pu := h.planSignedIn(t, env, "unknown@example.com", "starter")
	for _, code := range []string{"gold", "Pro Max"} {
		p := pu.choose(t, code)
		want := fmt.Sprintf("There is no plan %q. Choose one of the plans below.", code)
		if p.Status != http.StatusBadRequest || !strings.Contains(p.planText(), want) {
			t.Fatalf("plan %q: %d, want 400 with %q\n%s", code, p.Status, want, p.Body)
		}
		pu.wantPlan(t, "starter")
	}
	if p := pu.choose(t, ""); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Choose a plan, or cancel your plan.") {
		t.Fatalf("no plan code: %d\n%s", p.Status, p.Body)
	}
	// A plan of another environment is unknown here.
	if _, err := h.ids.CreatePlan(testContext(t), identity.NewPlan{Env: defaultEnv, Code: "elsewhere", Name: "Elsewhere"}); err != nil {
		t.Fatal(err)
	}
	if p := pu.choose(t, "elsewhere"); p.Status != http.StatusBadRequest {
		t.Fatalf("plan of another environment: %d\n%s", p.Status, p.Body)
	}
	pu.wantPlan(t, "starter")
}

func testPlanManagementAPI(t *testing.T, h *harness) {
	const env = "planapi"
	h.seedPlans(t, env)
	u := h.user(t, env, "api@example.com", password)
	api := h.planAPI(t, env, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers)

	var list mgmt.PlanList
	status, body := api.do(t, http.MethodGet, "/plans", "")
	planDecode(t, body, &list)
	if status != http.StatusOK || len(list.Plans) != 4 || list.Plans[0].Code != "free" || list.Plans[3].Code != "pro_annual" ||
		list.Plans[2].Name != "Pro" || list.Plans[2].Description != "Pro features" {
		t.Fatalf("GET /plans: %d %s", status, body)
	}
	var created mgmt.Plan
	status, body = api.do(t, http.MethodPost, "/plans", `{"code":"team","name":"Team","description":"For teams","position":10,"default":true}`)
	planDecode(t, body, &created)
	if status != http.StatusCreated || created.Code != "team" || !created.Default || created.Position != 10 {
		t.Fatalf("POST /plans: %d %s", status, body)
	}
	for _, bad := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"code":"team","name":"Team again"}`, http.StatusConflict, "conflict"},
		{`{"code":"other","name":"Other","default":true}`, http.StatusConflict, "conflict"},
		{`{"code":"Bad Code","name":"Bad"}`, http.StatusBadRequest, "invalid_request"},
		{`{"code":"noname"}`, http.StatusBadRequest, "invalid_request"},
		{`{"code":"x","name":"X","price":10}`, http.StatusBadRequest, "invalid_request"},
	} {
		status, body := api.do(t, http.MethodPost, "/plans", bad.body)
		if status != bad.status || !strings.Contains(string(body), `"code":"`+bad.code+`"`) {
			t.Fatalf("POST /plans %s: %d %s, want %d %s", bad.body, status, body, bad.status, bad.code)
		}
	}

	userPlan := func(method, path, reqBody string, wantStatus int) mgmt.UserPlan {
		t.Helper()
		status, body := api.do(t, method, path, reqBody)
		if status != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, body, wantStatus)
		}
		var up mgmt.UserPlan
		planDecode(t, body, &up)
		return up
	}
	planPath := "/users/" + u.ID + "/plan"
	if up := userPlan(http.MethodGet, planPath, "", http.StatusOK); up.Agreement != nil || up.Plan != nil {
		t.Fatalf("plan of a user without one: %+v", up)
	}
	up := userPlan(http.MethodPut, planPath, `{"planCode":"pro"}`, http.StatusOK)
	if up.Agreement == nil || !strings.HasPrefix(up.Agreement.ID, "agreement_") || up.Agreement.PlanCode != "pro" ||
		up.Agreement.Status != "active" || up.Plan == nil || up.Plan.Name != "Pro" {
		t.Fatalf("PUT plan: %+v", up)
	}
	if got := userPlan(http.MethodGet, planPath, "", http.StatusOK); got.Agreement == nil || got.Agreement.ID != up.Agreement.ID || got.Agreement.PlanCode != "pro" {
		t.Fatalf("GET plan after PUT: %+v", got)
	}
	cancelled := userPlan(http.MethodPost, planPath+"/cancel", "", http.StatusOK)
	if cancelled.Agreement.ID != up.Agreement.ID || cancelled.Agreement.Status != "cancelled" || cancelled.Agreement.CancelledAt == nil {
		t.Fatalf("cancel: %+v", cancelled.Agreement)
	}
	if got := userPlan(http.MethodGet, planPath, "", http.StatusOK); got.Agreement.Status != "cancelled" {
		t.Fatalf("GET plan after cancel: %+v", got.Agreement)
	}

	// An organization the user belongs to is recorded; one they do not
	// belong to is refused.
	org, err := h.ids.CreateOrganization(testContext(t), env, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	status, body = api.do(t, http.MethodPut, planPath, `{"planCode":"pro","orgCode":"`+org.Code+`"}`)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "not a member of organization") {
		t.Fatalf("PUT plan for a foreign organization: %d %s", status, body)
	}
	if _, err := h.ids.SetMembership(testContext(t), env, org.Code, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	if up := userPlan(http.MethodPut, planPath, `{"planCode":"pro","orgCode":"`+org.Code+`"}`, http.StatusOK); up.Agreement.OrgCode != org.Code {
		t.Fatalf("PUT plan for an organization: %+v", up.Agreement)
	}

	for _, bad := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{http.MethodPut, planPath, `{"planCode":"gold"}`, http.StatusNotFound, "not_found"},
		{http.MethodPut, planPath, `{"planCode":"Gold Plus"}`, http.StatusBadRequest, "invalid_request"},
		{http.MethodPut, planPath, `{}`, http.StatusBadRequest, "invalid_request"},
		{http.MethodPut, planPath, `{"planCode":"pro","extra":1}`, http.StatusBadRequest, "invalid_request"},
		{http.MethodPut, "/users/kp_00000000000000000000000000000000/plan", `{"planCode":"pro"}`, http.StatusNotFound, "not_found"},
		{http.MethodGet, "/users/kp_00000000000000000000000000000000/plan", "", http.StatusNotFound, "not_found"},
		{http.MethodPost, "/users/kp_00000000000000000000000000000000/plan/cancel", "", http.StatusNotFound, "not_found"},
	} {
		status, body := api.do(t, bad.method, bad.path, bad.body)
		if status != bad.status || !strings.Contains(string(body), `"code":"`+bad.code+`"`) {
			t.Fatalf("%s %s %s: %d %s, want %d %s", bad.method, bad.path, bad.body, status, body, bad.status, bad.code)
		}
	}
	if got := userPlan(http.MethodGet, planPath, "", http.StatusOK); got.Agreement.PlanCode != "pro" || got.Agreement.Status != "active" {
		t.Fatalf("plan after refused requests: %+v", got.Agreement)
	}
	userPlan(http.MethodPost, planPath+"/cancel", "", http.StatusOK)
	status, body = api.do(t, http.MethodPost, planPath+"/cancel", "")
	if status != http.StatusConflict || !strings.Contains(string(body), `"code":"failed_precondition"`) {
		t.Fatalf("cancel without a plan: %d %s", status, body)
	}

	// Scopes: reading needs read:users, changing write:users.
	reader := h.planAPI(t, env, mgmt.ScopeReadUsers)
	if status, body := reader.do(t, http.MethodPut, planPath, `{"planCode":"free"}`); status != http.StatusForbidden ||
		!strings.Contains(string(body), "insufficient_scope") {
		t.Fatalf("PUT with read:users only: %d %s", status, body)
	}
	if status, _ := reader.do(t, http.MethodGet, planPath, ""); status != http.StatusOK {
		t.Fatalf("GET with read:users: %d", status)
	}
	writer := h.planAPI(t, env, mgmt.ScopeWriteUsers)
	if status, _ := writer.do(t, http.MethodGet, "/plans", ""); status != http.StatusForbidden {
		t.Fatalf("GET /plans with write:users only: %d", status)
	}
	anon := &planAPIClient{base: api.base}
	if status, _ := anon.do(t, http.MethodPut, planPath, `{"planCode":"free"}`); status != http.StatusUnauthorized {
		t.Fatalf("PUT without a token: %d", status)
	}
	if got := userPlan(http.MethodGet, planPath, "", http.StatusOK); got.Agreement.Status != "cancelled" {
		t.Fatalf("plan after unauthorised requests: %+v", got.Agreement)
	}
}

// planAPIClient calls the management API of an environment with a token.
type planAPIClient struct {
	base, token string
}

// planAPI registers a management client of env with scopes and gets
// it a token.
func (h *harness) planAPI(t *testing.T, env string, scopes ...string) *planAPIClient {
	t.Helper()
	audience := h.issuer(env) + "/api"
	app, secret, err := mgmt.CreateClient(testContext(t), h.ids, env, "Plans test", audience, scopes)
	if err != nil {
		t.Fatal(err)
	}
	cc := clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret, TokenURL: h.issuer(env) + "/oauth2/token",
		Scopes: scopes, EndpointParams: url.Values{"audience": {audience}}}
	tok, err := cc.Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	return &planAPIClient{base: h.issuer(env) + "/api/v1", token: tok.AccessToken}
}

// do sends a request with a JSON body (none when "") and returns the
// status and body of the answer.
func (c *planAPIClient) do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(testContext(t), method, c.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func planDecode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}
