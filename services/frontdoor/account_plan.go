package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Form fields and values of the account plan page.
const (
	fieldPlanAction = "action"
	fieldPlanCode   = "plan"
	planActSelect   = "select"
	planActCancel   = "cancel"
	// paramPlanDone, in the page's query after a change went through, says
	// which (planDoneChanged or planDoneCancelled).
	paramPlanDone     = "done"
	planDoneChanged   = "changed"
	planDoneCancelled = "cancelled"
)

// accountPlanPage serves GET /account/plan: the signed-in user's plan, the
// other plans and the forms to change or cancel it.
func (s *Server) accountPlanPage(w http.ResponseWriter, r *http.Request) {
	ctx, env := r.Context(), envOf(r.Context())
	sess, ok := s.planSession(w, r, env)
	if !ok {
		return
	}
	csrf, err := s.csrfToken(w, r, env)
	if err != nil {
		s.planServerErrorPage(w)
		return
	}
	page, err := s.accountPlanView(ctx, env, sess.UserID, csrf)
	if err != nil {
		s.log.ErrorContext(ctx, "account plan page", "env", env, "user_id", sess.UserID, "error", err)
		s.planServerErrorPage(w)
		return
	}
	switch r.URL.Query().Get(paramPlanDone) {
	case planDoneChanged:
		if page.Current != nil {
			page.Notice = "Your plan is now " + page.Current.Name + "."
		}
	case planDoneCancelled:
		if page.Current == nil {
			page.Notice = "Your plan is cancelled."
		}
	}
	pages.Render(w, http.StatusOK, page)
}

// accountPlan serves POST /account/plan: it checks the anti-forgery token
// and the session, then changes (action=select, plan=<code>) or cancels
// (action=cancel) the user's plan once the plan workflow allows it. A
// change that goes through redirects to the page; a refused one shows the
// page again with the reason.
func (s *Server) accountPlan(w http.ResponseWriter, r *http.Request) {
	ctx, env := r.Context(), envOf(r.Context())
	form, e := parsePost(w, r)
	if e != nil {
		pages.Render(w, http.StatusBadRequest, pages.Message{Title: "This request is not valid",
			Text: "The request is malformed: " + e.Description + "."})
		return
	}
	if !s.checkCSRF(r, env, form) {
		pages.Render(w, http.StatusForbidden, pages.Message{Title: "Your form expired",
			Text: "The form was not sent from your plan page, or it is too old. Nothing was changed. Go back, reload the page and try again.",
			Link: s.endpoint(env, pathAccountPlan), LinkText: "Back to your plan"})
		return
	}
	sess, ok := s.planSession(w, r, env)
	if !ok {
		return
	}
	req := mgmt.PlanRequest{Env: env, UserID: sess.UserID, IP: clientIP(r), UserAgent: userAgent(r)}
	var (
		err  error
		done string
	)
	switch form.Get(fieldPlanAction) {
	case planActSelect:
		req.PlanCode, done = form.Get(fieldPlanCode), planDoneChanged
		if req.PlanCode == "" {
			err = errPlanAction
			break
		}
		_, err = s.ChangePlan(ctx, req)
	case planActCancel:
		done = planDoneCancelled
		_, err = s.CancelPlan(ctx, req)
	default:
		err = errPlanAction
	}
	if err == nil {
		http.Redirect(w, r, s.endpoint(env, pathAccountPlan)+"?"+url.Values{paramPlanDone: {done}}.Encode(), http.StatusSeeOther)
		return
	}

	status, msg, suggestions := s.planFailure(ctx, req, err)
	if status == http.StatusInternalServerError {
		s.planServerErrorPage(w)
		return
	}
	page, err := s.accountPlanView(ctx, env, sess.UserID, form.Get(csrfField))
	if err != nil {
		s.log.ErrorContext(ctx, "account plan page", "env", env, "user_id", sess.UserID, "error", err)
		s.planServerErrorPage(w)
		return
	}
	page.Error, page.Suggestions = msg, suggestions
	pages.Render(w, status, page)
}

// errPlanAction is a form that asks for neither a change nor a
// cancellation.
var errPlanAction = errors.New("the form asks for no known action")

// planFailure turns an error of ChangePlan or CancelPlan into the page's
// status and message for the user. Unexpected errors are logged and
// answered 500.
func (s *Server) planFailure(ctx context.Context, req mgmt.PlanRequest, err error) (status int, msg string, suggestions []string) {
	var (
		denied *mgmt.PlanDeniedError
		failed *mgmt.PlanWorkflowError
	)
	switch {
	case errors.As(err, &denied):
		msg = denied.Reason
		if msg == "" {
			msg = "This change to your plan is not allowed."
			if denied.Trigger == abi.TriggerPlanCancellationRequest {
				msg = "Your plan cannot be cancelled."
			}
		}
		return http.StatusForbidden, msg, denied.Suggestions
	case errors.As(err, &failed):
		return http.StatusServiceUnavailable,
			"A check that runs on plan changes failed, so your plan was not changed. Try again in a moment.", nil
	case errors.Is(err, errPlanAction):
		return http.StatusBadRequest, "Choose a plan, or cancel your plan.", nil
	case errors.Is(err, mgmt.ErrNoActivePlan):
		return http.StatusConflict, "You have no plan to cancel.", nil
	case errors.Is(err, identity.ErrAgreementChanged):
		return http.StatusConflict, "Your plan changed while you were choosing. Nothing else was changed: check your plan below and try again.", nil
	case req.PlanCode != "" && (errors.Is(err, identity.ErrInvalid) || errors.Is(err, identity.ErrNotFound)):
		if len(req.PlanCode) > 64 {
			return http.StatusBadRequest, "There is no such plan. Choose one of the plans below.", nil
		}
		return http.StatusBadRequest, fmt.Sprintf("There is no plan %q. Choose one of the plans below.", req.PlanCode), nil
	}
	s.log.ErrorContext(ctx, "account plan change", "env", req.Env, "user_id", req.UserID, "error", err)
	return http.StatusInternalServerError, "", nil
}

// planSession returns the request's session. Without one it shows a page
// asking the user to sign in (and nothing about any account) and ok is
// false.
func (s *Server) planSession(w http.ResponseWriter, r *http.Request, env string) (sess *authstore.Session, ok bool) {
	sess, err := s.currentSession(r.Context(), r, env)
	if err != nil {
		s.log.ErrorContext(r.Context(), "account plan: look up session", "env", env, "error", err)
		s.planServerErrorPage(w)
		return nil, false
	}
	if sess == nil {
		pages.Render(w, http.StatusForbidden, pages.Message{Title: "Sign in to manage your plan",
			Text: "You need to be signed in to see or change your plan. Sign in to your application, then come back to this page."})
		return nil, false
	}
	return sess, true
}

// accountPlanView reads what the plan page shows for userID.
func (s *Server) accountPlanView(ctx context.Context, env, userID, csrf string) (pages.AccountPlan, error) {
	page := pages.AccountPlan{Action: s.endpoint(env, pathAccountPlan), CSRF: csrf}
	user, err := s.ids.GetUser(ctx, env, userID)
	if err != nil {
		return page, err
	}
	page.Email = user.Email
	cur, err := s.activeAgreement(ctx, env, userID)
	if err != nil {
		return page, err
	}
	plans, err := s.ids.ListPlans(ctx, env)
	if err != nil {
		return page, err
	}
	for _, p := range plans {
		opt := pages.PlanOption{Code: p.Code, Name: p.Name, Description: p.Description}
		if cur != nil && cur.PlanCode == p.Code {
			page.Current = &opt
			continue
		}
		page.Plans = append(page.Plans, opt)
	}
	return page, nil
}

// planServerErrorPage tells the user the plan page failed.
func (s *Server) planServerErrorPage(w http.ResponseWriter) {
	pages.Render(w, http.StatusInternalServerError, pages.Message{Title: "Something went wrong",
		Text: "Your plan could not be shown or changed. Nothing was changed. Try again in a moment."})
}
