package gatehouse

// Each event is {"request":{…},"context":{…}} as in the Kinde documentation.
// The Trigger method names the trigger the event belongs to; Register uses it
// to check a handler against its Settings.

// PreRegistrationEvent is the user:pre_registration event: single-factor
// authentication is done, no user record exists yet.
type PreRegistrationEvent struct {
	Request PreRegistrationRequest `json:"request"`
	Context PreRegistrationContext `json:"context"`
}

// PreRegistrationRequest is the request part of PreRegistrationEvent.
type PreRegistrationRequest struct {
	IP            string        `json:"ip,omitempty"`
	UserAgent     string        `json:"userAgent,omitempty"`
	AuthURLParams AuthURLParams `json:"authUrlParams"`
}

// PreRegistrationContext is the context part of PreRegistrationEvent.
type PreRegistrationContext struct {
	Auth        PreRegistrationAuth `json:"auth"`
	Domains     Domains             `json:"domains"`
	Workflow    WorkflowInfo        `json:"workflow"`
	Application Application         `json:"application"`
	// User carries the email the user is registering with (Gatehouse sends
	// it as both context.user.email and context.auth.providedEmail).
	User User `json:"user"`
}

// PreRegistrationAuth is context.auth in PreRegistrationEvent.
type PreRegistrationAuth struct {
	ConnectionID string `json:"connectionId,omitempty"`
	// ProvidedEmail is the email the user is registering with.
	ProvidedEmail string `json:"providedEmail,omitempty"`
}

// Trigger returns TriggerPreRegistration.
func (PreRegistrationEvent) Trigger() Trigger { return TriggerPreRegistration }

// PostAuthenticationEvent is the user:post_authentication event: the user
// completed single-factor authentication.
type PostAuthenticationEvent struct {
	Request PostAuthenticationRequest `json:"request"`
	Context PostAuthenticationContext `json:"context"`
}

// PostAuthenticationRequest is the request part of PostAuthenticationEvent.
type PostAuthenticationRequest struct {
	IP            string        `json:"ip,omitempty"`
	UserAgent     string        `json:"userAgent,omitempty"`
	AuthURLParams AuthURLParams `json:"authUrlParams"`
}

// PostAuthenticationContext is the context part of PostAuthenticationEvent.
type PostAuthenticationContext struct {
	Auth        PostAuthenticationAuth `json:"auth"`
	User        User                   `json:"user"`
	Domains     Domains                `json:"domains"`
	Workflow    WorkflowInfo           `json:"workflow"`
	Application Application            `json:"application"`
}

// PostAuthenticationAuth is context.auth in PostAuthenticationEvent.
type PostAuthenticationAuth struct {
	ConnectionID string `json:"connectionId,omitempty"`
	// IsNewUserRecordCreated is true when this sign-in created the user.
	IsNewUserRecordCreated bool `json:"isNewUserRecordCreated"`
}

// Trigger returns TriggerPostAuthentication.
func (PostAuthenticationEvent) Trigger() Trigger { return TriggerPostAuthentication }

// NewPasswordProvidedEvent is the user:new_password_provided event: a new
// password was entered at sign-up or password reset. Never log the passwords.
type NewPasswordProvidedEvent struct {
	Request NewPasswordProvidedRequest `json:"request"`
	Context NewPasswordProvidedContext `json:"context"`
}

// NewPasswordProvidedRequest is the request part of NewPasswordProvidedEvent.
type NewPasswordProvidedRequest struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// NewPasswordProvidedContext is the context part of NewPasswordProvidedEvent.
type NewPasswordProvidedContext struct {
	Domains  Domains                 `json:"domains"`
	Auth     NewPasswordProvidedAuth `json:"auth"`
	User     User                    `json:"user"`
	Workflow WorkflowInfo            `json:"workflow"`
}

// NewPasswordProvidedAuth is context.auth in NewPasswordProvidedEvent.
type NewPasswordProvidedAuth struct {
	FirstPassword  string `json:"firstPassword,omitempty"`
	SecondPassword string `json:"secondPassword,omitempty"`
	// NewPasswordReason is "initial" (registration) or "reset".
	NewPasswordReason string `json:"newPasswordReason,omitempty"`
}

// Trigger returns TriggerNewPasswordProvided.
func (NewPasswordProvidedEvent) Trigger() Trigger { return TriggerNewPasswordProvided }

// ExistingPasswordProvidedEvent is the user:existing_password_provided event:
// a password was entered at sign-in. Never log the password.
type ExistingPasswordProvidedEvent struct {
	Request ExistingPasswordProvidedRequest `json:"request"`
	Context ExistingPasswordProvidedContext `json:"context"`
}

// ExistingPasswordProvidedRequest is the request part of ExistingPasswordProvidedEvent.
type ExistingPasswordProvidedRequest struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// ExistingPasswordProvidedContext is the context part of ExistingPasswordProvidedEvent.
type ExistingPasswordProvidedContext struct {
	Domains  Domains                      `json:"domains"`
	Auth     ExistingPasswordProvidedAuth `json:"auth"`
	User     User                         `json:"user"`
	Workflow WorkflowInfo                 `json:"workflow"`
}

// ExistingPasswordProvidedAuth is context.auth in ExistingPasswordProvidedEvent.
type ExistingPasswordProvidedAuth struct {
	ProvidedEmail  string `json:"providedEmail,omitempty"`
	Password       string `json:"password,omitempty"`
	HashedPassword string `json:"hashedPassword,omitempty"`
	// HasUserRecordInKinde is true when the user already exists in Gatehouse.
	HasUserRecordInKinde bool `json:"hasUserRecordInKinde"`
}

// Trigger returns TriggerExistingPasswordProvided.
func (ExistingPasswordProvidedEvent) Trigger() Trigger { return TriggerExistingPasswordProvided }

// PreMFAEvent is the user:pre_mfa event: single-factor authentication is done
// and the organization is known; the workflow may require or skip MFA.
type PreMFAEvent struct {
	Request PreMFARequest `json:"request"`
	Context PreMFAContext `json:"context"`
}

// PreMFARequest is the request part of PreMFAEvent.
type PreMFARequest struct {
	IP            string        `json:"ip,omitempty"`
	UserAgent     string        `json:"userAgent,omitempty"`
	AuthURLParams AuthURLParams `json:"authUrlParams"`
}

// PreMFAContext is the context part of PreMFAEvent.
type PreMFAContext struct {
	Auth         PreMFAAuth   `json:"auth"`
	Domains      Domains      `json:"domains"`
	MFA          MFAContext   `json:"mfa"`
	User         User         `json:"user"`
	Workflow     WorkflowInfo `json:"workflow"`
	Application  Application  `json:"application"`
	Organization Organization `json:"organization"`
}

// PreMFAAuth is context.auth in PreMFAEvent.
type PreMFAAuth struct {
	ConnectionID string `json:"connectionId,omitempty"`
}

// Trigger returns TriggerPreMFA.
func (PreMFAEvent) Trigger() Trigger { return TriggerPreMFA }

// TokensGenerationEvent is the user:tokens_generation event: ID and access
// tokens are being issued (after sign-in, silent re-authentication or a
// refresh).
type TokensGenerationEvent struct {
	Request TokensGenerationRequest `json:"request"`
	Context TokensGenerationContext `json:"context"`
}

// TokensGenerationRequest is the request part of TokensGenerationEvent.
type TokensGenerationRequest struct {
	Auth TokenRequestAuth `json:"auth"`
	IP   string           `json:"ip,omitempty"`
}

// TokensGenerationContext is the context part of TokensGenerationEvent.
type TokensGenerationContext struct {
	Domains      Domains              `json:"domains"`
	Auth         TokensGenerationAuth `json:"auth"`
	Application  Application          `json:"application"`
	User         User                 `json:"user"`
	Organization Organization         `json:"organization"`
	Workflow     WorkflowInfo         `json:"workflow"`
}

// TokensGenerationAuth is context.auth in TokensGenerationEvent.
type TokensGenerationAuth struct {
	// Origin is "authorization_request" or "refresh_token_request".
	Origin string `json:"origin,omitempty"`
	// IsExistingSession is true when the user was already signed in.
	IsExistingSession bool   `json:"isExistingSession"`
	ConnectionID      string `json:"connectionId,omitempty"`
}

// Trigger returns TriggerTokensGeneration.
func (TokensGenerationEvent) Trigger() Trigger { return TriggerTokensGeneration }

// M2MTokenGenerationEvent is the m2m:token_generation event: a
// client-credentials access token is being issued.
type M2MTokenGenerationEvent struct {
	Request M2MTokenGenerationRequest `json:"request"`
	Context M2MTokenGenerationContext `json:"context"`
}

// M2MTokenGenerationRequest is the request part of M2MTokenGenerationEvent.
type M2MTokenGenerationRequest struct {
	Auth TokenRequestAuth `json:"auth"`
	IP   string           `json:"ip,omitempty"`
}

// M2MTokenGenerationContext is the context part of M2MTokenGenerationEvent.
type M2MTokenGenerationContext struct {
	Domains Domains `json:"domains"`
	// Application is the M2M application (client) asking for the token.
	Application Application  `json:"application"`
	Workflow    WorkflowInfo `json:"workflow"`
}

// Trigger returns TriggerM2MTokenGeneration.
func (M2MTokenGenerationEvent) Trigger() Trigger { return TriggerM2MTokenGeneration }

// PlanSelectionEvent is the user:plan_selection event: a customer asked to
// change plan, before anything is charged.
type PlanSelectionEvent struct {
	Request PlanSelectionRequest `json:"request"`
	Context PlanSelectionContext `json:"context"`
}

// PlanSelectionRequest is the request part of PlanSelectionEvent.
type PlanSelectionRequest struct {
	UserAgent string `json:"userAgent,omitempty"`
	IP        string `json:"ip,omitempty"`
}

// PlanSelectionContext is the context part of PlanSelectionEvent.
type PlanSelectionContext struct {
	Domains      Domains      `json:"domains"`
	Billing      Billing      `json:"billing"`
	User         User         `json:"user"`
	Organization Organization `json:"organization"`
	Workflow     WorkflowInfo `json:"workflow"`
}

// Trigger returns TriggerPlanSelection.
func (PlanSelectionEvent) Trigger() Trigger { return TriggerPlanSelection }

// PlanCancellationRequestEvent is the user:plan_cancellation_request event: a
// customer asked to cancel their plan, before the cancellation is processed.
type PlanCancellationRequestEvent struct {
	Request PlanCancellationRequestRequest `json:"request"`
	Context PlanCancellationRequestContext `json:"context"`
}

// PlanCancellationRequestRequest is the request part of PlanCancellationRequestEvent.
type PlanCancellationRequestRequest struct {
	UserAgent string `json:"userAgent,omitempty"`
	IP        string `json:"ip,omitempty"`
}

// PlanCancellationRequestContext is the context part of PlanCancellationRequestEvent.
type PlanCancellationRequestContext struct {
	Domains      Domains      `json:"domains"`
	Billing      Billing      `json:"billing"`
	User         User         `json:"user"`
	Organization Organization `json:"organization"`
	Workflow     WorkflowInfo `json:"workflow"`
}

// Trigger returns TriggerPlanCancellationRequest.
func (PlanCancellationRequestEvent) Trigger() Trigger { return TriggerPlanCancellationRequest }

// event is implemented by the nine event types.
type event interface {
	Trigger() Trigger
}
