package frontdoor

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
)

// pathPreview is the page that asks for a deployment's preview password
// when an authorization request carries deploy_id.
const pathPreview = "/preview"

// previewTTL is how long a preview opened with its password lasts.
const previewTTL = time.Hour

// fieldPreviewPassword is the preview password field.
const fieldPreviewPassword = "preview_password"

// msgPreviewIncorrect covers a wrong password and a deployment that does
// not exist or cannot run alike.
const msgPreviewIncorrect = "The preview password is incorrect, or this deployment cannot be previewed."

type previewKey struct{}

// withPreview marks ctx as part of a flow previewing deployment id: the
// triggers fired with it run that deployment instead of the live one
// (for the deployment's own trigger; others run live).
func withPreview(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, previewKey{}, id)
}

// previewOf returns the deployment previewed in ctx, or "".
func previewOf(ctx context.Context) string {
	id, _ := ctx.Value(previewKey{}).(string)
	return id
}

// checkPreview makes sure an authorization request with deploy_id comes
// from a browser that gave the deployment's preview password for this
// client. If so it returns r with the preview in its context; if not it
// sends the browser to the preview password page and returns nil.
func (s *Server) checkPreview(w http.ResponseWriter, r *http.Request, ar *authRequest) *http.Request {
	if ar.deployID == "" {
		return r
	}
	ctx := r.Context()
	g, err := s.auth.PreviewGrantByToken(ctx, ar.env, s.cookie(r, ar.env, previewCookie), s.now())
	switch {
	case err == nil && g.DeployID == ar.deployID && g.ClientID == ar.app.ClientID:
		return r.WithContext(withPreview(ctx, ar.deployID))
	case err != nil && !errors.Is(err, authstore.ErrNotFound):
		s.log.ErrorContext(ctx, "preview: look up grant", "error", err)
		s.serverErrorPage(w)
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.endpoint(ar.env, pathPreview)+"?"+ar.params.Encode(), http.StatusSeeOther)
	return nil
}

// previewPage serves GET /preview: the preview password form.
func (s *Server) previewPage(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.authRequestOf(w, r)
	if !ok {
		return
	}
	if ar.deployID == "" {
		pages.Render(w, http.StatusBadRequest, pages.Message{Title: "Nothing to preview",
			Text: "This sign-in link does not name a deployment to preview (deploy_id)."})
		return
	}
	csrf, err := s.csrfToken(w, r, ar.env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	pages.Render(w, http.StatusOK, s.previewForm(ar, csrf))
}

func (s *Server) previewForm(ar *authRequest, csrf string) pages.Preview {
	return pages.Preview{Action: s.endpoint(ar.env, pathPreview) + "?" + ar.params.Encode(), CSRF: csrf,
		AppName: ar.app.Name, DeploymentID: ar.deployID}
}

// preview serves POST /preview: it checks the preview password with the
// deployments service (failed attempts are limited per deployment and per
// client address), remembers the preview in a cookie and resumes the
// authorization request.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	ar, form, ok := s.postedAuthForm(w, r, "", nil)
	if !ok {
		return
	}
	if ar.deployID == "" {
		pages.Render(w, http.StatusBadRequest, pages.Message{Title: "Nothing to preview",
			Text: "This sign-in link does not name a deployment to preview (deploy_id)."})
		return
	}
	page := s.previewForm(ar, form.Get(csrfField))
	password := form.Get(fieldPreviewPassword)
	if password == "" {
		page.PasswordError = "Enter the deployment's preview password."
		pages.Render(w, http.StatusBadRequest, page)
		return
	}
	now := s.now()
	res, allowed, retryAfter, err := s.auth.ReserveAttempts(ctx, now,
		authstore.Limit{Key: "preview:" + env + ":" + ar.deployID, Max: s.cfg.AccountLimit.Max, Window: s.cfg.AccountLimit.Window},
		authstore.Limit{Key: "preview-ip:" + clientIP(r), Max: s.cfg.IPLimit.Max, Window: s.cfg.IPLimit.Window})
	if err != nil {
		s.log.ErrorContext(ctx, "preview: count attempts", "error", err)
		s.serverErrorPage(w)
		return
	}
	if !allowed {
		s.tooManyAttempts(w, retryAfter)
		return
	}
	resp, err := natsrpc.Call[dapi.PreviewCheckRequest, dapi.PreviewCheckResponse](ctx, s.nc, dapi.SubjectPreviewCheck,
		dapi.PreviewCheckRequest{Env: env, DeploymentID: ar.deployID, Password: password})
	if err != nil {
		_ = s.auth.Release(ctx, res)
		s.log.ErrorContext(ctx, "preview: check password", "deployment_id", ar.deployID, "error", err)
		pages.Render(w, http.StatusServiceUnavailable, pages.Message{Title: "Preview is unavailable",
			Text: "The preview password could not be checked right now. Try again in a moment."})
		return
	}
	if !resp.OK {
		page.PasswordError = msgPreviewIncorrect
		pages.Render(w, http.StatusUnauthorized, page)
		return
	}
	if err := s.auth.Release(ctx, res); err != nil {
		s.log.WarnContext(ctx, "preview: release attempt", "error", err)
	}
	token, err := s.auth.CreatePreviewGrant(ctx, authstore.PreviewGrant{Env: env, DeployID: ar.deployID,
		ClientID: ar.app.ClientID}, now, previewTTL)
	if err != nil {
		s.log.ErrorContext(ctx, "preview: save grant", "error", err)
		s.serverErrorPage(w)
		return
	}
	s.setCookie(w, env, previewCookie, token, now.Add(previewTTL))
	s.log.InfoContext(ctx, "deployment preview opened", "env", env, "deployment_id", ar.deployID,
		"client_id", ar.app.ClientID)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.endpoint(env, pathAuthorize)+"?"+ar.params.Encode(), http.StatusSeeOther)
}
