package api

import "time"

// Subjects of the MFA service's endpoints (one micro service, "mfa").
const (
	// SubjectEnroll starts enrolling a factor: EnrollRequest →
	// EnrollResponse. The factor is unverified (unusable for sign-in)
	// until a first challenge of it is verified; one left unverified is
	// deleted after a while (a day by default).
	SubjectEnroll = "gatehouse.mfa.enroll"
	// SubjectFactors lists a user's factors: UserRequest → FactorsResponse.
	SubjectFactors = "gatehouse.mfa.factors"
	// SubjectDeleteFactor removes one factor: FactorRequest → Empty.
	SubjectDeleteFactor = "gatehouse.mfa.factors.delete"
	// SubjectChallenge creates a challenge of a factor and, for SMS and
	// email, sends the code: ChallengeRequest → Challenge.
	SubjectChallenge = "gatehouse.mfa.challenge"
	// SubjectVerify checks a code against a challenge: VerifyRequest →
	// VerifyResponse. A wrong code is {valid: false}, not an error; the
	// errors carry the Reason constants.
	SubjectVerify = "gatehouse.mfa.verify"
	// SubjectGenerateBackupCodes replaces a user's backup codes with a new
	// set, returned this once: UserRequest → BackupCodesResponse.
	SubjectGenerateBackupCodes = "gatehouse.mfa.backup_codes.generate"
	// SubjectVerifyBackupCode uses up one backup code: BackupCodeRequest →
	// VerifyResponse.
	SubjectVerifyBackupCode = "gatehouse.mfa.backup_codes.verify"
	// SubjectReset removes every factor and backup code of a user and
	// unlocks them (an administrator's action, logged): ResetRequest →
	// ResetResponse.
	SubjectReset = "gatehouse.mfa.reset"

	// SubjectContext resolves the MFA context of a sign-in (the policy in
	// force, exemptions, enrolled factors, grace period): ContextRequest →
	// Context. The frontdoor sends it as context.mfa of user:pre_mfa.
	SubjectContext = "gatehouse.mfa.context"
	// SubjectGetPolicy and SubjectSetPolicy read and write an
	// environment's policy: EnvRequest → Policy, Policy → Policy.
	SubjectGetPolicy = "gatehouse.mfa.policy.get"
	SubjectSetPolicy = "gatehouse.mfa.policy.set"
	// SubjectGetOrgPolicy, SubjectSetOrgPolicy and SubjectDeleteOrgPolicy
	// manage an organization's override: OrgRequest → OrgPolicy,
	// OrgPolicy → OrgPolicy, OrgRequest → Empty.
	SubjectGetOrgPolicy    = "gatehouse.mfa.org_policy.get"
	SubjectSetOrgPolicy    = "gatehouse.mfa.org_policy.set"
	SubjectDeleteOrgPolicy = "gatehouse.mfa.org_policy.delete"
	// SubjectStats reports enrollment: StatsRequest → Stats.
	SubjectStats = "gatehouse.mfa.stats"
)

// FactorType is the kind of a factor, named as in WorkOS.
type FactorType string

// Factor types.
const (
	FactorTOTP  FactorType = "totp"
	FactorSMS   FactorType = "sms"
	FactorEmail FactorType = "email"
	// FactorBackupCode is the set of backup codes (one per user).
	FactorBackupCode FactorType = "backup_code"
)

// Known reports whether t is one of the factor types.
func (t FactorType) Known() bool {
	switch t {
	case FactorTOTP, FactorSMS, FactorEmail, FactorBackupCode:
		return true
	}
	return false
}

// Kinde's names of the factors, as in context.mfa.enabledFactors of
// user:pre_mfa and in ChallengeWith / EnrollWith.
const (
	KindeFactorAuthenticatorApp = "mfa:authenticator_app"
	KindeFactorSMS              = "mfa:sms"
	KindeFactorEmail            = "mfa:email"
	KindeFactorBackupCode       = "mfa:backup_code"
)

// KindeName returns Kinde's name of factor type t.
func (t FactorType) KindeName() string {
	switch t {
	case FactorTOTP:
		return KindeFactorAuthenticatorApp
	case FactorSMS:
		return KindeFactorSMS
	case FactorEmail:
		return KindeFactorEmail
	case FactorBackupCode:
		return KindeFactorBackupCode
	}
	return ""
}

// AMR returns the RFC 8176 authentication method of factor type t, as the
// amr claim lists it next to "mfa".
func (t FactorType) AMR() string {
	switch t {
	case FactorTOTP:
		return "otp"
	case FactorSMS:
		return "sms"
	case FactorEmail:
		return "email"
	case FactorBackupCode:
		return "kba"
	}
	return ""
}

// Limits of the service.
const (
	// CodeDigits is the length of every one-time code (TOTP, SMS, email).
	CodeDigits = 6
	// ChallengeTTL is how long an SMS or email challenge lasts.
	ChallengeTTL = 10 * time.Minute
	// MaxChallengeAttempts wrong codes lock a challenge.
	MaxChallengeAttempts = 5
	// MaxConsecutiveFailures wrong codes in a row across challenges lock
	// the user's factors until an administrator resets them (NIST SP
	// 800-63B §5.2.2).
	MaxConsecutiveFailures = 100
	// BackupCodeCount is the size of a backup code set.
	BackupCodeCount = 10
	// ResendCooldown is the least time between two SMS or email
	// challenges of one factor.
	ResendCooldown = 30 * time.Second
)

// Factor is an enrolled (or enrolling) factor. Secrets are never in it.
type Factor struct {
	ID     string     `json:"id"` // "auth_factor_…"
	Env    string     `json:"env"`
	UserID string     `json:"userId"`
	Type   FactorType `json:"type"`
	// Verified is false until a first challenge is verified; only
	// verified factors count for sign-in.
	Verified bool `json:"verified"`
	// PhoneNumber (sms) and Email (email) are the destinations, masked in
	// Masked for showing to the user ("+1 ••• ••• 4567").
	PhoneNumber string    `json:"phoneNumber,omitempty"`
	Email       string    `json:"email,omitempty"`
	Masked      string    `json:"masked,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// LastUsedAt is the last successful verification.
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	// Remaining counts the unused backup codes (backup_code factors).
	Remaining int `json:"remaining,omitempty"`
}

// UserRequest names a user.
type UserRequest struct {
	Env    string `json:"env"`
	UserID string `json:"userId"`
}

// FactorRequest names a factor of a user.
type FactorRequest struct {
	Env      string `json:"env"`
	UserID   string `json:"userId"`
	FactorID string `json:"factorId"`
}

// EnrollRequest enrolls a factor of Type for a user. TOTP needs Issuer
// (the product name shown in the authenticator app) and User (the account
// name, usually the email); SMS needs PhoneNumber in E.164 (+15551234567);
// email needs Email.
type EnrollRequest struct {
	Env         string     `json:"env"`
	UserID      string     `json:"userId"`
	Type        FactorType `json:"type"`
	Issuer      string     `json:"issuer,omitempty"`
	User        string     `json:"user,omitempty"`
	PhoneNumber string     `json:"phoneNumber,omitempty"`
	Email       string     `json:"email,omitempty"`
}

// TOTPEnrollment is shown once when a TOTP factor is enrolled.
type TOTPEnrollment struct {
	Secret string `json:"secret"` // base32, for typing into the app
	URI    string `json:"uri"`    // otpauth://totp/…
	QRCode string `json:"qrCode"` // data:image/png;base64,…
	Issuer string `json:"issuer"`
	User   string `json:"user"`
}

// EnrollResponse is the new factor (and, for TOTP, what to show once).
type EnrollResponse struct {
	Factor Factor          `json:"factor"`
	TOTP   *TOTPEnrollment `json:"totp,omitempty"`
}

// FactorsResponse lists factors, oldest first.
type FactorsResponse struct {
	Factors []Factor `json:"factors"`
}

// ChallengeRequest challenges a factor. SMSTemplate, for SMS, is the text
// with {{code}} where the code goes (default "Your verification code is
// {{code}}").
type ChallengeRequest struct {
	Env         string `json:"env"`
	UserID      string `json:"userId"`
	FactorID    string `json:"factorId"`
	SMSTemplate string `json:"smsTemplate,omitempty"`
}

// Challenge is one attempt to prove a factor. ExpiresAt is set for SMS and
// email.
type Challenge struct {
	ID        string     `json:"id"` // "auth_challenge_…"
	FactorID  string     `json:"factorId"`
	Type      FactorType `json:"type"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// VerifyRequest checks Code against a challenge.
type VerifyRequest struct {
	Env         string `json:"env"`
	UserID      string `json:"userId"`
	ChallengeID string `json:"challengeId"`
	Code        string `json:"code"`
}

// VerifyResponse says whether the code was right. When Valid, Factor is
// the factor proven (now verified, if it was enrolling) and Method its amr
// value.
type VerifyResponse struct {
	Valid     bool      `json:"valid"`
	Challenge Challenge `json:"challenge"`
	Factor    *Factor   `json:"factor,omitempty"`
	Method    string    `json:"method,omitempty"`
	// AttemptsLeft on this challenge after a wrong code.
	AttemptsLeft int `json:"attemptsLeft,omitempty"`
}

// BackupCodesResponse is a new set of backup codes, shown this once.
type BackupCodesResponse struct {
	Factor Factor   `json:"factor"`
	Codes  []string `json:"codes"`
}

// BackupCodeRequest uses one backup code of a user.
type BackupCodeRequest struct {
	Env    string `json:"env"`
	UserID string `json:"userId"`
	Code   string `json:"code"`
}

// ResetRequest removes a user's factors; Actor (a client id or user id)
// and Reason are logged.
type ResetRequest struct {
	Env    string `json:"env"`
	UserID string `json:"userId"`
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
}

// ResetResponse counts the factors removed.
type ResetResponse struct {
	Factors int `json:"factors"`
}

// Empty is an empty response.
type Empty struct{}
