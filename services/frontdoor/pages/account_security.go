package pages

// AccountSecurity is the signed-in user's security page: their second
// factors, backup codes, and the forms to change them. Changes need a
// full, recent re-authentication: until the password is confirmed
// NeedsReauth shows a password form, then — for a user with a second
// factor — NeedsMFA shows the forms that prove one. CanChange shows the
// forms that change factors.
type AccountSecurity struct {
	Action string
	CSRF   string
	Email  string
	// NeedsReauth: the session's password sign-in is too old for changes.
	NeedsReauth bool
	ReauthError string
	// NeedsMFA: the password is recent, but no second factor was proven
	// lately; MFAError is shown on its forms, and Challenge is a code
	// just sent to an SMS or email factor.
	NeedsMFA  bool
	MFAError  string
	Challenge *MFAChallenge
	// CanChange: the re-authentication is complete and recent.
	CanChange bool
	Notice    string
	Error     string
	Factors   []MFAFactor
	// BackupRemaining counts the unused backup codes (0: none).
	BackupRemaining int
	// BackupCodes are a new set, shown this once.
	BackupCodes []string
	// TOTP, EnrollFactorID and EnrollToken are an authenticator app being
	// set up, waiting for its first code; EnrollToken binds the factor to
	// this page and session.
	TOTP           *TOTPSetup
	EnrollFactorID string
	EnrollToken    string
	CodeError      string
}

// MFAChallenge is a code sent to one of the user's factors, and the token
// that binds the challenge to the page that sent it.
type MFAChallenge struct {
	FactorID    string
	Label       string
	ChallengeID string
	Token       string
}

func (AccountSecurity) template() (string, string) { return "account_security.html", "Security" }
