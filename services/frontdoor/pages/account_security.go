package pages

// AccountSecurity is the signed-in user's security page: their second
// factors, backup codes, and the forms to change them. Changes need a
// recent authentication: until then NeedsReauth shows a password form
// instead.
type AccountSecurity struct {
	Action string
	CSRF   string
	Email  string
	// NeedsReauth: the session's authentication is too old for changes.
	NeedsReauth bool
	ReauthError string
	Notice      string
	Error       string
	Factors     []MFAFactor
	// BackupRemaining counts the unused backup codes (0: none).
	BackupRemaining int
	// BackupCodes are a new set, shown this once.
	BackupCodes []string
	// TOTP and EnrollFactorID are an authenticator app being set up,
	// waiting for its first code.
	TOTP           *TOTPSetup
	EnrollFactorID string
	CodeError      string
}

func (AccountSecurity) template() (string, string) { return "account_security.html", "Security" }
