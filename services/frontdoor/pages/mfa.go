package pages

import (
	"html/template"
	"regexp"
)

// MFA is the multi-factor authentication page: one form per step of the
// sign-in's MFA (choose a factor, enter a code, enter a backup code, set
// up a factor, see the new backup codes, the grace-period notice). Every
// form posts to Action with an "action" field.
type MFA struct {
	Step    string
	Action  string
	CSRF    string
	AppName string
	// Error is shown above the forms; CodeError next to the code field.
	Error     string
	CodeError string
	// Info is a neutral notice ("we sent a code to …").
	Info string
	// Factors to choose from (step choose).
	Factors []MFAFactor
	// Factor is the one being proven (step code).
	Factor MFAFactor
	// CanResend offers "send a new code" (SMS, email); CanUseBackup a
	// backup code instead.
	CanResend    bool
	CanUseBackup bool
	// EnrollTypes are the factor kinds that can be set up (step enroll).
	EnrollTypes []MFAFactor
	// TOTP is shown once after setting up an authenticator app.
	TOTP *TOTPSetup
	// PhoneNumber is what was typed, kept after an error.
	PhoneNumber string
	PhoneError  string
	// BackupCodes are shown once (step backup_codes).
	BackupCodes []string
	// GraceEnds is the date by which MFA must be set up (step grace).
	GraceEnds string
}

// MFAFactor is a factor or factor kind offered on the page.
type MFAFactor struct {
	ID    string // factor id, or the kind when setting up
	Type  string // totp, sms, email
	Label string // "Authenticator app", "Text message to +1 ••• 4567"
}

// TOTPSetup is what an authenticator app needs: the QR code (a PNG data
// URI) and the secret to type instead. Make it with [NewTOTPSetup].
type TOTPSetup struct {
	QRCode template.URL
	Secret string
}

// pngDataURI is the only form of QR code the page shows: html/template
// refuses data: URIs unless told they are safe, and only a base64 PNG is.
var pngDataURI = regexp.MustCompile(`^data:image/png;base64,[A-Za-z0-9+/]+=*$`)

// NewTOTPSetup returns the set-up of an authenticator app; a QR code that
// is not a base64 PNG data URI is left out (the secret still works).
func NewTOTPSetup(qrCode, secret string) *TOTPSetup {
	t := &TOTPSetup{Secret: secret}
	if pngDataURI.MatchString(qrCode) {
		t.QRCode = template.URL(qrCode)
	}
	return t
}

func (MFA) template() (string, string) { return "mfa.html", "Verify it's you" }
