package gatehouse

// The types in this file are the pieces shared by the nine events. Field
// names follow the sample event objects in the Kinde documentation; a field
// the host does not send decodes as its zero value.

// AuthURLParams is request.authUrlParams: parameters of the authorization
// request that started the flow.
type AuthURLParams struct {
	State       string `json:"state,omitempty"`
	OrgCode     string `json:"orgCode,omitempty"`
	ClientID    string `json:"clientId,omitempty"`
	RedirectURI string `json:"redirectUri,omitempty"`
}

// TokenRequestAuth is request.auth in the token triggers: the audiences and
// scopes the client asked for.
type TokenRequestAuth struct {
	Audience []string `json:"audience,omitempty"`
	Scope    []string `json:"scope,omitempty"`
}

// Domains is context.domains.
type Domains struct {
	// KindeDomain is the issuer URL of the environment,
	// e.g. "https://auth.example.com".
	KindeDomain string `json:"kindeDomain,omitempty"`
}

// User is context.user. Which fields are set depends on the trigger.
type User struct {
	ID         string `json:"id,omitempty"`
	Email      string `json:"email,omitempty"`
	IdentityID string `json:"identityId,omitempty"`
}

// Organization is context.organization.
type Organization struct {
	Code string `json:"code,omitempty"`
}

// Application is context.application: the OAuth client in the flow.
type Application struct {
	ClientID string `json:"clientId,omitempty"`
}

// WorkflowInfo is context.workflow.
type WorkflowInfo struct {
	Trigger Trigger `json:"trigger,omitempty"`
}

// MFAContext is context.mfa in the pre-MFA event: the policy that applies
// before the workflow runs.
type MFAContext struct {
	// Policy is "required", "optional" or "off".
	Policy string `json:"policy,omitempty"`
	// Context is "environment" or "organization": where Policy comes from.
	Context string `json:"context,omitempty"`
	// EnabledFactors lists the factors enabled in that context
	// (FactorSMS, FactorEmail, FactorAuthenticatorApp…).
	EnabledFactors []string `json:"enabledFactors,omitempty"`
	// IsUserRoleExempt is true when one of the user's roles is exempt from MFA.
	IsUserRoleExempt bool `json:"isUserRoleExempt"`
	// IsUserConnectionExempt is true when the connection is exempt from MFA.
	IsUserConnectionExempt bool `json:"isUserConnectionExempt"`
	// LastMFAAt is when the user last completed MFA (the latest successful
	// verification of any of their factors), RFC 3339; empty when they
	// never did. A Gatehouse addition to Kinde's event; see LastMFA.
	LastMFAAt string `json:"lastMfaAt,omitempty"`
}

// Billing is context.billing in the plan triggers.
type Billing struct {
	CurrentPlanCode   string `json:"currentPlanCode,omitempty"`
	RequestedPlanCode string `json:"requestedPlanCode,omitempty"`
	// AgreementID is the subscription being cancelled.
	AgreementID string `json:"agreementId,omitempty"`
}
