package mgmt

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Limits of the MFA request bodies.
const (
	maxTOTPIssuer   = 64
	maxSMSTemplate  = 160 // one SMS
	maxResetReason  = 256
	smsCodeSentinel = "{{code}}"
)

// defaultTOTPIssuer names the product in authenticator apps when the
// environment's issuer has no host.
const defaultTOTPIssuer = "Gatehouse"

// MFAFactorEnroll is the body of POST /users/{id}/mfa/factors. Type is
// totp, sms or email. PhoneNumber (sms) is E.164; Email (email) defaults to
// the user's email. TOTPIssuer (totp) is the name the authenticator app
// shows, by default the host of the environment's issuer; the account name
// is the user's email.
type MFAFactorEnroll struct {
	Type        string `json:"type"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
	Email       string `json:"email,omitempty"`
	TOTPIssuer  string `json:"totpIssuer,omitempty"`
}

// MFAChallengeCreate is the optional body of POST
// /users/{id}/mfa/factors/{factorId}/challenge. SMSTemplate, for SMS
// factors, is the text sent, with {{code}} where the code goes.
type MFAChallengeCreate struct {
	SMSTemplate string `json:"smsTemplate,omitempty"`
}

// MFACode is the body of the verify endpoints.
type MFACode struct {
	Code string `json:"code"`
}

// MFABackupCodeResult is the answer of POST
// /users/{id}/mfa/backup_codes/verify: whether the code was one of the
// user's unused backup codes (now used up) and, when it was, the
// backup_code factor with the codes remaining.
type MFABackupCodeResult struct {
	Valid  bool         `json:"valid"`
	Factor *mapi.Factor `json:"factor,omitempty"`
	Method string       `json:"method,omitempty"`
}

// MFAReset is the optional body of POST /users/{id}/mfa/reset; Reason is
// logged with the calling client.
type MFAReset struct {
	Reason string `json:"reason,omitempty"`
}

func (a *API) mfaRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/users/{id}/mfa/factors", ScopeReadUsers, a.listMFAFactors)
	a.route(r, http.MethodPost, "/users/{id}/mfa/factors", ScopeWriteUsers, a.enrollMFAFactor)
	a.route(r, http.MethodDelete, "/users/{id}/mfa/factors/{factorId}", ScopeWriteUsers, a.deleteMFAFactor)
	a.route(r, http.MethodPost, "/users/{id}/mfa/factors/{factorId}/challenge", ScopeWriteUsers, a.challengeMFAFactor)
	a.route(r, http.MethodPost, "/users/{id}/mfa/challenges/{challengeId}/verify", ScopeWriteUsers, a.verifyMFAChallenge)
	a.route(r, http.MethodPost, "/users/{id}/mfa/backup_codes", ScopeWriteUsers, a.generateBackupCodes)
	a.route(r, http.MethodPost, "/users/{id}/mfa/backup_codes/verify", ScopeWriteUsers, a.verifyBackupCode)
	a.route(r, http.MethodPost, "/users/{id}/mfa/reset", ScopeWriteUsers, a.resetMFA)
	a.mfaPolicyRoutes(r)
}

// mfaUser returns the user of the request's path, so that the factors of
// a user who does not exist are a 404, not an empty list.
func (a *API) mfaUser(r *http.Request) (*identity.User, error) {
	ctx := r.Context()
	return a.cfg.Identity.GetUser(ctx, a.cfg.Env(ctx), chi.URLParam(r, "id"))
}

// optionalJSON decodes the request body into v when there is one: the
// endpoints it serves need none.
func optionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(w, r, v)
}

func (a *API) listMFAFactors(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	resp, err := mfaCall[mapi.UserRequest, mapi.FactorsResponse](ctx, a, mapi.SubjectFactors,
		mapi.UserRequest{Env: u.Env, UserID: u.ID})
	if err != nil {
		return err
	}
	resp.Factors = list(resp.Factors)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) enrollMFAFactor(w http.ResponseWriter, r *http.Request) error {
	var body MFAFactorEnroll
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	typ := mapi.FactorType(body.Type)
	switch {
	case typ != mapi.FactorTOTP && typ != mapi.FactorSMS && typ != mapi.FactorEmail:
		return badRequest("type must be totp, sms or email, not %q (backup codes: POST /users/{id}/mfa/backup_codes)", body.Type)
	case typ == mapi.FactorSMS && body.PhoneNumber == "":
		return errorf(http.StatusBadRequest, CodeInvalidPhoneNumber, "phoneNumber is required for sms factors (E.164, e.g. +15551234567)")
	case body.PhoneNumber != "" && typ != mapi.FactorSMS:
		return badRequest("phoneNumber is for sms factors only")
	case body.Email != "" && typ != mapi.FactorEmail:
		return badRequest("email is for email factors only")
	case body.TOTPIssuer != "" && typ != mapi.FactorTOTP:
		return badRequest("totpIssuer is for totp factors only")
	case len(body.TOTPIssuer) > maxTOTPIssuer:
		return badRequest("totpIssuer is longer than %d bytes", maxTOTPIssuer)
	}
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	req := mapi.EnrollRequest{Env: u.Env, UserID: u.ID, Type: typ, PhoneNumber: body.PhoneNumber, Email: body.Email}
	switch typ {
	case mapi.FactorTOTP:
		req.Issuer, req.User = body.TOTPIssuer, u.Email
		if req.Issuer == "" {
			req.Issuer = a.totpIssuer(u.Env)
		}
	case mapi.FactorEmail:
		if req.Email == "" {
			req.Email = u.Email
		}
	}
	resp, err := mfaCall[mapi.EnrollRequest, mapi.EnrollResponse](ctx, a, mapi.SubjectEnroll, req)
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "MFA factor enrolled", "env", u.Env, "user_id", u.ID, "factor_id", resp.Factor.ID,
		"type", resp.Factor.Type, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

// totpIssuer is the host of env's issuer: what authenticator apps show
// above the account name.
func (a *API) totpIssuer(env string) string {
	// The management audience is <environment issuer>/api.
	u, err := url.Parse(a.cfg.Audience(env))
	// ':' separates the issuer from the account in otpauth URIs: not an
	// IPv6 address, then.
	if err != nil || u.Hostname() == "" || strings.Contains(u.Hostname(), ":") {
		return defaultTOTPIssuer
	}
	return u.Hostname()
}

func (a *API) deleteMFAFactor(w http.ResponseWriter, r *http.Request) error {
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := chi.URLParam(r, "factorId")
	if _, err := mfaCall[mapi.FactorRequest, mapi.Empty](ctx, a, mapi.SubjectDeleteFactor,
		mapi.FactorRequest{Env: u.Env, UserID: u.ID, FactorID: id}); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "MFA factor deleted", "env", u.Env, "user_id", u.ID, "factor_id", id, "by", callerOf(ctx).clientID)
	noContent(w)
	return nil
}

func (a *API) challengeMFAFactor(w http.ResponseWriter, r *http.Request) error {
	var body MFAChallengeCreate
	if err := optionalJSON(w, r, &body); err != nil {
		return err
	}
	if body.SMSTemplate != "" {
		if !strings.Contains(body.SMSTemplate, smsCodeSentinel) {
			return badRequest("smsTemplate must contain %s where the code goes", smsCodeSentinel)
		}
		if len(body.SMSTemplate) > maxSMSTemplate {
			return badRequest("smsTemplate is longer than %d bytes", maxSMSTemplate)
		}
	}
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ch, err := mfaCall[mapi.ChallengeRequest, mapi.Challenge](ctx, a, mapi.SubjectChallenge, mapi.ChallengeRequest{
		Env: u.Env, UserID: u.ID, FactorID: chi.URLParam(r, "factorId"), SMSTemplate: body.SMSTemplate})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ch)
	return nil
}

func (a *API) verifyMFAChallenge(w http.ResponseWriter, r *http.Request) error {
	var body MFACode
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	resp, err := mfaCall[mapi.VerifyRequest, mapi.VerifyResponse](ctx, a, mapi.SubjectVerify, mapi.VerifyRequest{
		Env: u.Env, UserID: u.ID, ChallengeID: chi.URLParam(r, "challengeId"), Code: body.Code})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// generateBackupCodes replaces the user's backup codes and shows the new
// ones, this once.
func (a *API) generateBackupCodes(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := optionalJSON(w, r, &empty); err != nil {
		return err
	}
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	resp, err := mfaCall[mapi.UserRequest, mapi.BackupCodesResponse](ctx, a, mapi.SubjectGenerateBackupCodes,
		mapi.UserRequest{Env: u.Env, UserID: u.ID})
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "MFA backup codes generated", "env", u.Env, "user_id", u.ID, "factor_id", resp.Factor.ID,
		"by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

// verifyBackupCode uses up one of the user's backup codes.
func (a *API) verifyBackupCode(w http.ResponseWriter, r *http.Request) error {
	var body MFACode
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	resp, err := mfaCall[mapi.BackupCodeRequest, mapi.VerifyResponse](ctx, a, mapi.SubjectVerifyBackupCode,
		mapi.BackupCodeRequest{Env: u.Env, UserID: u.ID, Code: body.Code})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, MFABackupCodeResult{Valid: resp.Valid, Factor: resp.Factor, Method: resp.Method})
	return nil
}

// resetMFA removes every factor and backup code of the user and unlocks
// them; the MFA service logs it with the calling client as the actor.
func (a *API) resetMFA(w http.ResponseWriter, r *http.Request) error {
	var body MFAReset
	if err := optionalJSON(w, r, &body); err != nil {
		return err
	}
	if len(body.Reason) > maxResetReason {
		return badRequest("reason is longer than %d bytes", maxResetReason)
	}
	u, err := a.mfaUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	actor := callerOf(ctx).clientID
	resp, err := mfaCall[mapi.ResetRequest, mapi.ResetResponse](ctx, a, mapi.SubjectReset,
		mapi.ResetRequest{Env: u.Env, UserID: u.ID, Actor: actor, Reason: body.Reason})
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "MFA reset", "env", u.Env, "user_id", u.ID, "factors", resp.Factors, "by", actor)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// countUsers counts the users of env, a page at a time.
func (a *API) countUsers(ctx context.Context, env string) (int, error) {
	const page = 1000
	n, after := 0, ""
	for {
		users, err := a.cfg.Identity.ListUsers(ctx, env, after, page)
		if err != nil {
			return 0, err
		}
		n += len(users)
		if len(users) < page {
			return n, nil
		}
		after = users[len(users)-1].ID
	}
}
