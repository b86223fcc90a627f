package pages

// ResetRequest asks for the email to send a password reset link to.
type ResetRequest struct {
	Action     string
	CSRF       string
	AppName    string
	SignInURL  string
	Email      string
	EmailError string
}

func (ResetRequest) template() (string, string) { return "reset_request.html", "Reset your password" }

// ResetPassword is the form reached from a reset link: the new password
// twice. Token is the link's secret, posted back with the form.
type ResetPassword struct {
	Action string
	CSRF   string
	Token  string
	Email  string
	Error  string
	// Where formErrors["p_first_password"] and
	// formErrors["p_second_password"] of user:new_password_provided go.
	FirstPasswordError  string
	SecondPasswordError string
}

func (ResetPassword) template() (string, string) {
	return "reset_password.html", "Choose a new password"
}
