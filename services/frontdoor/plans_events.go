package frontdoor

// eventPlanRequest is the request part of the plan events.
type eventPlanRequest struct {
	UserAgent string `json:"userAgent,omitempty"`
	IP        string `json:"ip,omitempty"`
}

// planSelectionEvent is user:plan_selection, shaped as the Kinde
// documentation's sample event.
type planSelectionEvent struct {
	Request eventPlanRequest `json:"request"`
	Context struct {
		Domains eventDomains `json:"domains"`
		Billing struct {
			// CurrentPlanCode is "" when the user has no active plan.
			CurrentPlanCode   string `json:"currentPlanCode"`
			RequestedPlanCode string `json:"requestedPlanCode"`
		} `json:"billing"`
		User         eventUser         `json:"user"`
		Organization eventOrganization `json:"organization"`
		Workflow     eventWorkflow     `json:"workflow"`
	} `json:"context"`
}

// planCancellationEvent is user:plan_cancellation_request, shaped as the
// Kinde documentation's sample event.
type planCancellationEvent struct {
	Request eventPlanRequest `json:"request"`
	Context struct {
		Domains eventDomains `json:"domains"`
		Billing struct {
			CurrentPlanCode string `json:"currentPlanCode"`
			AgreementID     string `json:"agreementId"`
		} `json:"billing"`
		Workflow eventWorkflow `json:"workflow"`
	} `json:"context"`
}
