package pages

// AccountPlan is the self-serve plan page of a signed-in user: the current
// plan with a form to cancel it, and the other plans, each with a form to
// choose it. Every form posts to Action with the anti-forgery token.
type AccountPlan struct {
	// Action is the URL the forms post to.
	Action string
	// CSRF is the anti-forgery token sent back in every form.
	CSRF string
	// Email is the signed-in user's address.
	Email string
	// Current is the user's plan, nil when they have none.
	Current *PlanOption
	// Plans are the plans the user may choose, in the order to offer them.
	Plans []PlanOption
	// Notice reports a change that went through ("Your plan is now Pro.").
	Notice string
	// Error says why the last request was refused: a workflow's reason, or
	// what went wrong. Suggestions are the workflow's, shown under it.
	Error       string
	Suggestions []string
}

// PlanOption is a plan shown on the AccountPlan page.
type PlanOption struct {
	Code        string
	Name        string
	Description string
}

func (AccountPlan) template() (string, string) { return "account_plan.html", "Your plan" }
