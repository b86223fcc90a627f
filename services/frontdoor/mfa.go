package frontdoor

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// The acr values of multi-factor authentication: the OpenID PAPE
// multi-factor policy (what tokens carry after MFA) and a short alias
// accepted in acr_values.
const (
	acrMFA      = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
	acrMFAShort = "mfa"
)

// amrMFA is the amr value of any multi-factor authentication (RFC 8176).
const amrMFA = "mfa"

// Workflow MFA policies (kinde.mfa setEnforcementPolicy).
const (
	mfaPolicyRequired = "required"
	mfaPolicySkip     = "skip"
)

// mfaState is the MFA step of a flow waiting at StageMFA.
type mfaState struct {
	// Step is the page: mfaStepChoose, mfaStepCode, mfaStepBackup,
	// mfaStepEnroll, mfaStepBackupCodes or mfaStepGrace.
	Step string `json:"step"`
	// Factors are the verified factors the user may use; EnrollTypes the
	// types they may enroll.
	Factors     []mapi.Factor     `json:"factors,omitempty"`
	EnrollTypes []mapi.FactorType `json:"enrollTypes,omitempty"`
	// FactorID, FactorType and ChallengeID are the factor being proven and
	// its open challenge (none yet for TOTP); Enrolling says the factor is
	// new.
	FactorID    string          `json:"factorId,omitempty"`
	FactorType  mapi.FactorType `json:"factorType,omitempty"`
	ChallengeID string          `json:"challengeId,omitempty"`
	Enrolling   bool            `json:"enrolling,omitempty"`
	// GraceEndsAt is the end of the enrollment grace period, when the
	// user may still go on without MFA.
	GraceEndsAt *time.Time `json:"graceEndsAt,omitempty"`
	// Method is the amr value of the factor proven, once done (while the
	// backup codes are shown).
	Method string `json:"method,omitempty"`
}

// Steps of the MFA page.
const (
	mfaStepChoose      = "choose"       // pick a factor
	mfaStepCode        = "code"         // enter the code of FactorID
	mfaStepBackup      = "backup"       // enter a backup code
	mfaStepEnroll      = "enroll"       // pick a factor type to set up
	mfaStepBackupCodes = "backup_codes" // the new backup codes, shown once
	mfaStepGrace       = "grace"        // set up MFA now, or later
)

// mfaPlan is what a sign-in must do about MFA.
type mfaPlan struct {
	required    bool
	locked      bool
	factors     []mapi.Factor
	enrollTypes []mapi.FactorType
	// graceEndsAt is set when MFA is required by the policy but the user
	// has no factor and may go on until then.
	graceEndsAt *time.Time
}

// decideMFA applies the policy in mctx, the pre-MFA workflow's decision d
// and the client's step-up request to one sign-in:
//
//   - a workflow's "skip" skips MFA, unless the client asked for it
//     (acr_values); its "required" requires it whatever the policy;
//   - otherwise "required" requires it unless the user's role or
//     connection is exempt, "optional" requires it of users who have a
//     factor, "off" never;
//   - ChallengeWith and EnrollWith narrow the factors usable and
//     enrollable in this sign-in;
//   - a user without a factor, required to use MFA by the policy alone,
//     goes on during the grace period.
func decideMFA(mctx mapi.Context, d wapi.Decision, stepUp bool, now time.Time) mfaPlan {
	exempt := mctx.IsUserRoleExempt || mctx.IsUserConnectionExempt
	byPolicy := false
	switch mctx.Policy {
	case mapi.PolicyRequired:
		byPolicy = !exempt
	case mapi.PolicyOptional:
		byPolicy = !exempt && len(mctx.Factors) > 0
	}
	byWorkflow := d.MFAPolicy == mfaPolicyRequired
	required := stepUp || byWorkflow || (byPolicy && d.MFAPolicy != mfaPolicySkip)
	p := mfaPlan{required: required, locked: mctx.Locked}
	for _, f := range mctx.Factors {
		if f.Verified && (len(d.ChallengeWith) == 0 || slices.Contains(d.ChallengeWith, f.Type.KindeName())) {
			p.factors = append(p.factors, f)
		}
	}
	if mctx.HasFactors {
		// A user who has a factor proves it; a password alone never adds
		// another (not even when the workflow or the policy leaves none of
		// theirs usable in this sign-in).
		return p
	}
	for _, name := range mctx.EnabledFactors {
		t := factorTypeOf(name)
		if t == "" || t == mapi.FactorBackupCode {
			continue
		}
		if len(d.EnrollWith) == 0 || slices.Contains(d.EnrollWith, name) {
			p.enrollTypes = append(p.enrollTypes, t)
		}
	}
	if required && !stepUp && !byWorkflow && len(mctx.Factors) == 0 && mctx.GraceEndsAt != nil && now.Before(*mctx.GraceEndsAt) {
		p.graceEndsAt = mctx.GraceEndsAt
	}
	return p
}

// factorTypeOf maps Kinde's factor name to the factor type ("" if none).
func factorTypeOf(kinde string) mapi.FactorType {
	for _, t := range []mapi.FactorType{mapi.FactorTOTP, mapi.FactorSMS, mapi.FactorEmail, mapi.FactorBackupCode} {
		if t.KindeName() == kinde {
			return t
		}
	}
	return ""
}

// mfaGate runs the MFA step of an authentication. It always asks the MFA
// service for the context first and fails closed: when the policy cannot
// be known, nobody gets in (ASVS 5.0 V6.3, fail securely).
//
// A new sign-in runs user:pre_mfa and applies [decideMFA]. A request
// continuing an existing session reuses the MFA the session did while it
// is recent enough (the request's max_age and the environment's step-up
// age); otherwise the session is held to the same rule as a new sign-in:
// a session made before the policy became required, or before the user
// had a factor, or during the grace period that has since ended, is
// asked for MFA now rather than answered for the rest of its life. The
// workflow runs for a session only when the policy or the client would
// ask for MFA, so that its "skip" still applies; a workflow's "required"
// takes effect at sign-in (running user:pre_mfa on every single sign-on
// request would cost a trigger per authorization). The grace-period
// notice is not shown again to a session: it was shown when it signed in.
//
// When MFA is needed the flow waits at StageMFA and the browser goes to
// the MFA page; prompt=none gets interaction_required instead. Setting up
// a first factor from a session needs a recent password (freshAuthWindow):
// an old session is sent to the sign-in page. It reports whether the flow
// goes on now.
func (s *Server) mfaGate(w http.ResponseWriter, r *http.Request, st *authState) bool {
	ctx := r.Context()
	ar := st.ar
	now := s.now()
	mctx, err := s.mfaContext(ctx, st)
	if err != nil {
		s.log.ErrorContext(ctx, "sign-in: MFA context", "env", ar.env, "user_id", st.userID, "error", err)
		pages.Render(w, http.StatusServiceUnavailable, pages.Message{Title: "Sign-in is unavailable",
			Text: "The multi-factor authentication check could not run, so you cannot sign in right now. Try again in a moment."})
		return false
	}
	if st.sess != nil {
		if mfaReusable(st.mfaAt, ar.maxAge, time.Duration(mctx.StepUpMaxAge), now) {
			st.mfaDone = true
			return true
		}
		if !decideMFA(mctx, wapi.Decision{}, ar.stepUp, now).required {
			st.mfaDone = true
			return true
		}
	}
	d, stop := s.firePreMFA(r, st, mctx)
	if stop != nil {
		s.workflowStopPage(w, stop)
		return false
	}
	plan := decideMFA(mctx, d, ar.stepUp, now)
	switch {
	case !plan.required:
		st.mfaDone = true
		return true
	case st.sess != nil && plan.graceEndsAt != nil:
		st.mfaDone = true
		return true
	case ar.promptNone:
		s.fail(w, r, ar, failRedirect(codeInteractionRequired, "multi-factor authentication is required"))
		return false
	case plan.locked:
		s.log.WarnContext(ctx, "sign-in refused: the user's factors are locked", "env", ar.env, "user_id", st.userID)
		pages.Render(w, http.StatusForbidden, pages.Message{Title: "Your second factor is locked",
			Text: "There were too many wrong codes for your account. Ask the application's administrators to reset your multi-factor authentication."})
		return false
	case plan.graceEndsAt != nil:
		st.mfa = mfaState{Step: mfaStepGrace, GraceEndsAt: plan.graceEndsAt, EnrollTypes: plan.enrollTypes}
	case len(plan.factors) > 0:
		st.mfa = mfaState{Step: mfaStepChoose, Factors: plan.factors}
		var usable []mapi.Factor
		for _, f := range plan.factors {
			if f.Type != mapi.FactorBackupCode {
				usable = append(usable, f)
			}
		}
		switch {
		case len(usable) == 0:
			st.mfa.Step = mfaStepBackup
		case len(usable) == 1 && usable[0].Type == mapi.FactorTOTP:
			// One authenticator app: ask for its code at once.
			st.mfa.Step, st.mfa.FactorID, st.mfa.FactorType = mfaStepCode, usable[0].ID, mapi.FactorTOTP
		}
	case len(plan.enrollTypes) > 0:
		if st.sess != nil && now.Sub(st.authTime) > freshAuthWindow {
			// A first factor is bound to the account by whoever enrolls it:
			// not by a session that may have been left open for days.
			s.log.InfoContext(ctx, "MFA set-up needs a recent sign-in; asking for the password", "env", ar.env, "user_id", st.userID)
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, s.endpoint(ar.env, pathSignIn)+"?"+ar.params.Encode(), http.StatusSeeOther)
			return false
		}
		st.mfa = mfaState{Step: mfaStepEnroll, EnrollTypes: plan.enrollTypes}
	default:
		pages.Render(w, http.StatusForbidden, pages.Message{Title: "Additional verification required",
			Text: "This sign-in requires multi-factor authentication, but none of your second factors can be used for it, and a new one cannot be set up here. Contact the application's administrators."})
		return false
	}
	s.pause(w, r, st, authstore.StageMFA, pathMFA)
	return false
}

// codeInteractionRequired is OpenID Connect's error for prompt=none when
// the user would have to interact (here: complete MFA).
const codeInteractionRequired = "interaction_required"

// mfaReusable reports whether MFA completed at mfaAt (nil: never) may
// answer a request at now: within the request's max_age (seconds, -1
// when absent) and the environment's step-up age (0: none).
func mfaReusable(mfaAt *time.Time, maxAge int64, stepUpMaxAge time.Duration, now time.Time) bool {
	if mfaAt == nil {
		return false
	}
	age := now.Sub(*mfaAt)
	return (maxAge < 0 || age <= time.Duration(maxAge)*time.Second) && (stepUpMaxAge <= 0 || age <= stepUpMaxAge)
}

// mfaContext asks the MFA service for the context of st's sign-in.
func (s *Server) mfaContext(ctx context.Context, st *authState) (mapi.Context, error) {
	ar := st.ar
	req := mapi.ContextRequest{Env: ar.env, UserID: st.userID, OrgCode: st.orgCode, ConnectionID: st.connectionID}
	user, err := s.ids.GetUser(ctx, ar.env, st.userID)
	if err != nil {
		return mapi.Context{}, err
	}
	req.UserCreatedAt = user.CreatedAt
	if st.orgCode != "" {
		m, err := s.ids.GetMembership(ctx, ar.env, st.orgCode, st.userID)
		if err != nil {
			return mapi.Context{}, err
		}
		req.Roles = m.Roles
	}
	return natsrpc.Call[mapi.ContextRequest, mapi.Context](ctx, s.nc, mapi.SubjectContext, req)
}

// firePreMFA runs user:pre_mfa with the MFA context.
func (s *Server) firePreMFA(r *http.Request, st *authState, mctx mapi.Context) (wapi.Decision, *workflowStop) {
	ar := st.ar
	var ev preMFAEvent
	ev.Request.eventRequest = eventRequestOf(r)
	ev.Request.AuthURLParams = ar.eventParams()
	ev.Context.Auth.ConnectionID = st.connectionID
	ev.Context.Domains.KindeDomain = s.issuer(ar.env)
	ev.Context.MFA = eventMFA{Policy: mctx.Policy, Context: mctx.Context, EnabledFactors: orEmpty(mctx.EnabledFactors),
		IsUserRoleExempt: mctx.IsUserRoleExempt, IsUserConnectionExempt: mctx.IsUserConnectionExempt}
	// lastMfaAt: the user's last successful verification of any factor.
	var last time.Time
	for _, f := range mctx.Factors {
		if f.LastUsedAt != nil && f.LastUsedAt.After(last) {
			last = *f.LastUsedAt
		}
	}
	if !last.IsZero() {
		ev.Context.MFA.LastMFAAt = last.UTC().Format(time.RFC3339)
	}
	ev.Context.User.ID = st.userID
	ev.Context.Workflow.Trigger = abi.TriggerPreMFA
	ev.Context.Application.ClientID = ar.app.ClientID
	ev.Context.Organization.Code = st.orgCode
	return s.fire(r.Context(), ar.env, abi.TriggerPreMFA, ev)
}

// mfaCompleted ends the MFA step of st with a factor of amr method proven
// at now: the amr gains "mfa" and the method, the acr becomes the MFA one.
func (st *authState) mfaCompleted(method string, now time.Time) {
	st.amr = withMFA(st.amr, method)
	st.acr, st.mfaAt, st.mfaDone = acrMFA, &now, true
	st.mfaUpdated = st.sess != nil
}

// withMFA returns amr with "mfa" and method added (once each).
func withMFA(amr []string, method string) []string {
	out := slices.Clone(amr)
	for _, m := range []string{amrMFA, method} {
		if m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// mfaReasonMessage is the message shown for an MFA service error reason.
func mfaReasonMessage(err error) (string, bool) {
	switch mapi.ReasonOf(err) {
	case mapi.ReasonInvalidCodeFormat:
		return "Enter the 6-digit code.", true
	case mapi.ReasonExpired:
		return "That code expired. Send a new one.", true
	case mapi.ReasonTooManyAttempts:
		return "Too many wrong codes for this one. Ask for a new code.", true
	case mapi.ReasonPreviouslyVerified:
		return "That code was already used. Ask for a new code.", true
	case mapi.ReasonFactorLocked:
		return "Your second factor is locked after too many wrong codes. Ask the application's administrators to reset it.", true
	case mapi.ReasonResendTooSoon:
		return "A code was sent a moment ago. Wait a few seconds before asking for another.", true
	case mapi.ReasonInvalidPhoneNumber:
		return "Enter the phone number in international format, starting with + and the country code, like +15551234567.", true
	case mapi.ReasonFactorNotAllowed:
		return "That kind of second factor is not allowed here.", true
	case mapi.ReasonDeliveryFailed:
		return "The code could not be sent. Try again in a moment, or use another factor.", true
	}
	return "", false
}
