package pages

// ChooseOrganization asks a member of several organizations which one to
// sign in to: one button per organization, posting its code to Action.
type ChooseOrganization struct {
	Action        string
	CSRF          string
	AppName       string
	Organizations []OrganizationChoice
	Error         string
}

// OrganizationChoice is one organization offered.
type OrganizationChoice struct {
	Code string
	Name string
}

func (ChooseOrganization) template() (string, string) {
	return "choose_organization.html", "Choose an organization"
}
