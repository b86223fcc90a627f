package pages

// Preview asks for a deployment's preview password before an
// authorization request runs that deployment instead of the live
// workflows.
type Preview struct {
	Action        string
	CSRF          string
	AppName       string
	DeploymentID  string
	PasswordError string
}

func (Preview) template() (string, string) { return "preview.html", "Preview a deployment" }
