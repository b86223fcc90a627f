package pages

// SignUp is the sign-up page: email, names and the password twice, posted
// to Action.
type SignUp struct {
	Action  string
	CSRF    string
	AppName string
	// SignInURL is the sign-in page of the same authorization request.
	SignInURL  string
	Email      string
	GivenName  string
	FamilyName string
	// Error is shown above the form.
	Error string
	// Field errors, shown next to their fields. The password ones are
	// where a workflow's formErrors["p_first_password"] and
	// formErrors["p_second_password"] go.
	EmailError          string
	NameError           string
	FirstPasswordError  string
	SecondPasswordError string
}

func (SignUp) template() (string, string) { return "signup.html", "Create an account" }
