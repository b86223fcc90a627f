package frontdoor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// pathMFA is the MFA page of a sign-in waiting at StageMFA.
const pathMFA = "/mfa"

// mfaPage serves GET /mfa: the current step of the flow's MFA.
func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.resume(w, r, authstore.StageMFA, false)
	if !ok {
		return
	}
	csrf, err := s.csrfToken(w, r, st.ar.env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	s.renderMFA(w, http.StatusOK, st, csrf, func(*pages.MFA) {})
}

// renderMFA renders the step of st.mfa, after edit adds messages.
func (s *Server) renderMFA(w http.ResponseWriter, status int, st *authState, csrf string, edit func(*pages.MFA)) {
	m := st.mfa
	p := pages.MFA{Step: m.Step, Action: s.endpoint(st.ar.env, pathMFA), CSRF: csrf, AppName: st.ar.app.Name}
	hasBackup := false
	for _, f := range m.Factors {
		if f.Type == mapi.FactorBackupCode {
			hasBackup = f.Remaining > 0
			continue
		}
		p.Factors = append(p.Factors, pages.MFAFactor{ID: f.ID, Type: string(f.Type), Label: factorLabel(f)})
		if f.ID == m.FactorID {
			p.Factor = p.Factors[len(p.Factors)-1]
		}
	}
	p.CanUseBackup = hasBackup && !m.Enrolling
	p.CanResend = m.Step == mfaStepCode && (m.FactorType == mapi.FactorSMS || m.FactorType == mapi.FactorEmail)
	for _, t := range m.EnrollTypes {
		p.EnrollTypes = append(p.EnrollTypes, pages.MFAFactor{ID: string(t), Type: string(t), Label: enrollLabel(t)})
	}
	if m.GraceEndsAt != nil {
		p.GraceEnds = m.GraceEndsAt.UTC().Format("2 January 2006")
	}
	if m.Step == mfaStepCode && p.Factor.Label == "" {
		p.Factor = pages.MFAFactor{ID: m.FactorID, Type: string(m.FactorType), Label: "Enter the code you received."}
	}
	edit(&p)
	pages.Render(w, status, p)
}

// factorLabel names a factor for the user.
func factorLabel(f mapi.Factor) string {
	switch f.Type {
	case mapi.FactorTOTP:
		return "Authenticator app"
	case mapi.FactorSMS:
		return "Text message to " + f.Masked
	case mapi.FactorEmail:
		return "Email to " + f.Masked
	}
	return string(f.Type)
}

// enrolledName names a factor type in a notice.
func enrolledName(t mapi.FactorType) string {
	switch t {
	case mapi.FactorTOTP:
		return "an authenticator app"
	case mapi.FactorSMS:
		return "codes by text message"
	case mapi.FactorEmail:
		return "codes by email"
	}
	return string(t)
}

// enrollLabel is the button that sets up a factor of type t.
func enrollLabel(t mapi.FactorType) string {
	switch t {
	case mapi.FactorTOTP:
		return "Use an authenticator app"
	case mapi.FactorSMS:
		return "Text me a code"
	case mapi.FactorEmail:
		return "Email me a code"
	}
	return string(t)
}

// mfa serves POST /mfa: one action of the MFA step (field "action"):
// pick a factor, verify a code, send a new one, use a backup code, set up
// a factor, continue after the backup codes or the grace notice.
func (s *Server) mfa(w http.ResponseWriter, r *http.Request) {
	form, ok := s.postedForm(w, r, "", nil)
	if !ok {
		return
	}
	st, ok := s.resume(w, r, authstore.StageMFA, false)
	if !ok {
		return
	}
	csrf := form.Get(csrfField)
	m := &st.mfa
	// stored is the step as stored: what the page shows again when an
	// action fails before it is saved.
	stored := *m
	stored.Factors = slices.Clone(m.Factors)
	fail := func(status int, edit func(*pages.MFA)) { s.renderMFA(w, status, st, csrf, edit) }
	switch action := form.Get("action"); {
	case action == "pick" && m.Step == mfaStepChoose:
		f, found := findFactor(m.Factors, form.Get("factor_id"))
		if !found {
			fail(http.StatusBadRequest, func(p *pages.MFA) { p.Error = "Choose one of your factors." })
			return
		}
		m.Step, m.FactorID, m.FactorType, m.ChallengeID = mfaStepCode, f.ID, f.Type, ""
		if f.Type != mapi.FactorTOTP {
			if !s.sendChallenge(w, r, st, csrf, stored) {
				return
			}
		}
	case action == "resend" && m.Step == mfaStepCode && m.FactorType != mapi.FactorTOTP:
		if !s.sendChallenge(w, r, st, csrf, stored) {
			return
		}
	case action == "verify" && m.Step == mfaStepCode:
		s.verifyCode(w, r, st, csrf, strings.TrimSpace(form.Get("code")))
		return
	case action == "use_backup" && !m.Enrolling && (m.Step == mfaStepChoose || m.Step == mfaStepCode):
		m.Step = mfaStepBackup
	case action == "backup" && m.Step == mfaStepBackup:
		s.verifyBackupCode(w, r, st, csrf, strings.TrimSpace(form.Get("backup_code")))
		return
	case action == "back" && (m.Step == mfaStepBackup || m.Step == mfaStepCode) && !m.Enrolling && len(m.Factors) > 0:
		m.Step, m.ChallengeID = mfaStepChoose, ""
	case action == "enroll" && m.Step == mfaStepEnroll:
		s.enroll(w, r, st, csrf, mapi.FactorType(form.Get("type")), strings.TrimSpace(form.Get("phone_number")), stored)
		return
	case action == "setup" && m.Step == mfaStepGrace:
		m.Step = mfaStepEnroll
	case action == "later" && m.Step == mfaStepGrace:
		s.finishMFA(w, r, "")
		return
	case action == "continue" && m.Step == mfaStepBackupCodes:
		s.finishMFA(w, r, m.Method)
		return
	default:
		fail(http.StatusBadRequest, func(p *pages.MFA) { p.Error = "That action is not available at this step." })
		return
	}
	if !s.saveMFA(w, r, st) {
		return
	}
	s.renderMFA(w, http.StatusOK, st, csrf, func(p *pages.MFA) {
		if m.Step == mfaStepCode && m.ChallengeID != "" {
			p.Info = "We sent a 6-digit code. It works for 10 minutes."
		}
	})
}

// findFactor returns the factor of id in fs.
func findFactor(fs []mapi.Factor, id string) (mapi.Factor, bool) {
	for _, f := range fs {
		if f.ID == id && f.Type != mapi.FactorBackupCode {
			return f, true
		}
	}
	return mapi.Factor{}, false
}

// saveMFA stores st.mfa in the flow.
func (s *Server) saveMFA(w http.ResponseWriter, r *http.Request, st *authState) bool {
	b, err := json.Marshal(st.mfa)
	if err == nil {
		err = s.auth.SetFlowMFA(r.Context(), st.ar.env, s.cookie(r, st.ar.env, flowCookie), authstore.StageMFA, b, s.now())
	}
	if errors.Is(err, authstore.ErrNotFound) {
		pages.Render(w, http.StatusBadRequest, pages.Message{Title: "Your sign-in expired",
			Text: "This step of signing in is no longer open: it was completed or it expired. Go back to the application and sign in again."})
		return false
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "sign-in: save the MFA step", "error", err)
		s.serverErrorPage(w)
		return false
	}
	return true
}

// sendChallenge creates a challenge of the factor of st.mfa (which sends
// the code of an SMS or email factor). On failure st.mfa goes back to
// stored, the step as it is stored, and the page is rendered with the
// error; it returns false.
func (s *Server) sendChallenge(w http.ResponseWriter, r *http.Request, st *authState, csrf string, stored mfaState) bool {
	m := &st.mfa
	c, err := natsrpc.Call[mapi.ChallengeRequest, mapi.Challenge](r.Context(), s.nc, mapi.SubjectChallenge,
		mapi.ChallengeRequest{Env: st.ar.env, UserID: st.userID, FactorID: m.FactorID})
	if err != nil {
		st.mfa = stored
		s.mfaError(w, r, st, csrf, err, false)
		return false
	}
	m.ChallengeID = c.ID
	return true
}

// verifyCode checks a code against the factor of st.mfa (creating the
// challenge of a TOTP factor first).
func (s *Server) verifyCode(w http.ResponseWriter, r *http.Request, st *authState, csrf, code string) {
	ctx := r.Context()
	m := &st.mfa
	if len(code) != mapi.CodeDigits || strings.Trim(code, "0123456789") != "" {
		s.renderMFA(w, http.StatusBadRequest, st, csrf, func(p *pages.MFA) { p.CodeError = "Enter the 6-digit code." })
		return
	}
	if m.ChallengeID == "" {
		if m.FactorType != mapi.FactorTOTP || !s.sendChallenge(w, r, st, csrf, *m) {
			if m.FactorType != mapi.FactorTOTP {
				s.renderMFA(w, http.StatusBadRequest, st, csrf, func(p *pages.MFA) { p.CodeError = "Ask for a code first." })
			}
			return
		}
		if !s.saveMFA(w, r, st) {
			return
		}
	}
	res, err := natsrpc.Call[mapi.VerifyRequest, mapi.VerifyResponse](ctx, s.nc, mapi.SubjectVerify,
		mapi.VerifyRequest{Env: st.ar.env, UserID: st.userID, ChallengeID: m.ChallengeID, Code: code})
	if err != nil {
		s.mfaError(w, r, st, csrf, err, true)
		return
	}
	if !res.Valid {
		s.renderMFA(w, http.StatusUnauthorized, st, csrf, func(p *pages.MFA) {
			p.CodeError = "That code is not right."
			if res.AttemptsLeft > 0 {
				p.CodeError += fmt.Sprintf(" %d attempt%s left for this code.", res.AttemptsLeft, plural(res.AttemptsLeft))
			}
		})
		return
	}
	s.factorProven(w, r, st, csrf, res.Method)
}

// factorProven goes on after a valid code: a new factor gets backup codes
// shown once (if the user has none); otherwise the MFA step is done.
func (s *Server) factorProven(w http.ResponseWriter, r *http.Request, st *authState, csrf, method string) {
	m := &st.mfa
	if !m.Enrolling {
		s.finishMFA(w, r, method)
		return
	}
	s.notifyChange(r.Context(), st.ar.env, st.userID, fmt.Sprintf(changeFactorAdded, enrolledName(m.FactorType)))
	hasCodes := false
	for _, f := range m.Factors {
		hasCodes = hasCodes || (f.Type == mapi.FactorBackupCode && f.Remaining > 0)
	}
	if hasCodes {
		s.finishMFA(w, r, method)
		return
	}
	codes, err := natsrpc.Call[mapi.UserRequest, mapi.BackupCodesResponse](r.Context(), s.nc, mapi.SubjectGenerateBackupCodes,
		mapi.UserRequest{Env: st.ar.env, UserID: st.userID})
	if err != nil {
		// The factor is set up; backup codes can be made later.
		s.log.WarnContext(r.Context(), "sign-in: generate backup codes", "user_id", st.userID, "error", err)
		s.finishMFA(w, r, method)
		return
	}
	m.Step, m.Method = mfaStepBackupCodes, method
	if !s.saveMFA(w, r, st) {
		return
	}
	s.renderMFA(w, http.StatusOK, st, csrf, func(p *pages.MFA) { p.BackupCodes = codes.Codes })
}

// verifyBackupCode uses one of the user's backup codes.
func (s *Server) verifyBackupCode(w http.ResponseWriter, r *http.Request, st *authState, csrf, code string) {
	if code == "" {
		s.renderMFA(w, http.StatusBadRequest, st, csrf, func(p *pages.MFA) { p.CodeError = "Enter one of your backup codes." })
		return
	}
	res, err := natsrpc.Call[mapi.BackupCodeRequest, mapi.VerifyResponse](r.Context(), s.nc, mapi.SubjectVerifyBackupCode,
		mapi.BackupCodeRequest{Env: st.ar.env, UserID: st.userID, Code: code})
	if err != nil {
		s.mfaError(w, r, st, csrf, err, true)
		return
	}
	if !res.Valid {
		s.renderMFA(w, http.StatusUnauthorized, st, csrf, func(p *pages.MFA) {
			p.CodeError = "That backup code is not right, or was already used."
		})
		return
	}
	s.finishMFA(w, r, res.Method)
}

// enroll sets up a factor of type t for the user: TOTP shows its QR code
// and secret with the code field; SMS and email send a first code.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request, st *authState, csrf string, t mapi.FactorType, phone string, stored mfaState) {
	ctx := r.Context()
	m := &st.mfa
	allowed := false
	for _, et := range m.EnrollTypes {
		allowed = allowed || et == t
	}
	if !allowed {
		s.renderMFA(w, http.StatusBadRequest, st, csrf, func(p *pages.MFA) { p.Error = "Choose one of the factors offered." })
		return
	}
	user, err := s.ids.GetUser(ctx, st.ar.env, st.userID)
	if err != nil {
		s.log.ErrorContext(ctx, "sign-in: look up user for MFA", "error", err)
		s.serverErrorPage(w)
		return
	}
	req := mapi.EnrollRequest{Env: st.ar.env, UserID: st.userID, Type: t, Issuer: s.totpIssuer(st.ar), User: user.Email}
	switch t {
	case mapi.FactorSMS:
		if phone == "" {
			s.renderMFA(w, http.StatusBadRequest, st, csrf, func(p *pages.MFA) { p.PhoneError = "Enter your phone number." })
			return
		}
		req.PhoneNumber = phone
	case mapi.FactorEmail:
		req.Email = user.Email
	}
	res, err := natsrpc.Call[mapi.EnrollRequest, mapi.EnrollResponse](ctx, s.nc, mapi.SubjectEnroll, req)
	if err != nil {
		if mapi.ReasonOf(err) == mapi.ReasonInvalidPhoneNumber {
			msg, _ := mfaReasonMessage(err)
			s.renderMFA(w, http.StatusBadRequest, st, csrf, func(p *pages.MFA) { p.PhoneError, p.PhoneNumber = msg, phone })
			return
		}
		s.mfaError(w, r, st, csrf, err, false)
		return
	}
	m.Step, m.FactorID, m.FactorType, m.ChallengeID, m.Enrolling = mfaStepCode, res.Factor.ID, t, "", true
	m.Factors = append(m.Factors, res.Factor)
	if t != mapi.FactorTOTP && !s.sendChallenge(w, r, st, csrf, stored) {
		return
	}
	if !s.saveMFA(w, r, st) {
		return
	}
	s.renderMFA(w, http.StatusOK, st, csrf, func(p *pages.MFA) {
		if res.TOTP != nil {
			p.TOTP = pages.NewTOTPSetup(res.TOTP.QRCode, res.TOTP.Secret)
		} else {
			p.Info = "We sent a 6-digit code to " + res.Factor.Masked + ". It works for 10 minutes."
		}
	})
}

// totpIssuer is the name authenticator apps show for the account: the
// issuer's host name (without a port: a colon separates the issuer from
// the account in otpauth URIs).
func (s *Server) totpIssuer(ar *authRequest) string {
	if u, err := url.Parse(s.issuer(ar.env)); err == nil && u.Hostname() != "" && !strings.Contains(u.Hostname(), ":") {
		return u.Hostname()
	}
	return "Gatehouse"
}

// mfaError renders an MFA service error: a known reason as its message
// (next to the code field when codeField), anything else as unavailable.
func (s *Server) mfaError(w http.ResponseWriter, r *http.Request, st *authState, csrf string, err error, codeField bool) {
	msg, known := mfaReasonMessage(err)
	if !known {
		s.log.ErrorContext(r.Context(), "sign-in: MFA service", "user_id", st.userID, "error", err)
		pages.Render(w, http.StatusServiceUnavailable, pages.Message{Title: "Verification is unavailable",
			Text: "The second factor could not be checked right now. Try again in a moment."})
		return
	}
	switch mapi.ReasonOf(err) {
	case mapi.ReasonExpired, mapi.ReasonTooManyAttempts, mapi.ReasonPreviouslyVerified:
		// The challenge is over: the next verify (TOTP) or send makes a
		// new one.
		st.mfa.ChallengeID = ""
		if !s.saveMFA(w, r, st) {
			return
		}
	}
	status := http.StatusBadRequest
	if natsrpc.CodeOf(err) == natsrpc.CodeFailedPrecondition {
		status = http.StatusConflict
	}
	s.renderMFA(w, status, st, csrf, func(p *pages.MFA) {
		if codeField {
			p.CodeError = msg
		} else {
			p.Error = msg
		}
	})
}

// finishMFA ends the MFA step (a factor of amr method proven, or none
// during the grace period) and resumes the sign-in.
func (s *Server) finishMFA(w http.ResponseWriter, r *http.Request, method string) {
	st, ok := s.resume(w, r, authstore.StageMFA, true)
	if !ok {
		return
	}
	s.setCookie(w, st.ar.env, flowCookie, "", s.now().Add(-time.Hour))
	if method != "" {
		st.mfaCompleted(method, s.now())
	} else {
		st.mfaDone = true
	}
	s.log.InfoContext(r.Context(), "MFA step done", "env", st.ar.env, "user_id", st.userID, "method", method)
	s.proceed(w, r, st)
}
