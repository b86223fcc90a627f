package api

import "time"

// Policy values, as in Kinde (context.mfa.policy of user:pre_mfa).
const (
	PolicyRequired = "required"
	PolicyOptional = "optional"
	PolicyOff      = "off"
)

// Where the policy in force comes from (context.mfa.context).
const (
	ContextEnvironment  = "environment"
	ContextOrganization = "organization"
)

// Policy is an environment's MFA policy.
type Policy struct {
	Env string `json:"env"`
	// Policy is required, optional or off (the default).
	Policy string `json:"policy"`
	// AllowedFactors are the factor types users may enroll and use
	// (default: totp, sms, email, backup_code).
	AllowedFactors []FactorType `json:"allowedFactors"`
	// ExemptRoles are organization roles whose members skip MFA
	// (isUserRoleExempt); ExemptConnections are connection ids whose
	// users skip it (isUserConnectionExempt).
	ExemptRoles       []string `json:"exemptRoles"`
	ExemptConnections []string `json:"exemptConnections"`
	// GracePeriod lets users not yet enrolled sign in without MFA for
	// this long after the policy became required (or after they signed
	// up, whichever is later), with a notice; 0 means none.
	GracePeriod Duration `json:"gracePeriod"`
	// StepUpMaxAge, when set, is the longest time since the last MFA a
	// sign-in may reuse; older MFA is asked again.
	StepUpMaxAge Duration `json:"stepUpMaxAge"`
	// RequiredSince is when the policy last became required (set by the
	// service).
	RequiredSince *time.Time `json:"requiredSince,omitempty"`
	UpdatedAt     time.Time  `json:"updatedAt"`
}

// OrgPolicy overrides an environment's policy for one organization.
type OrgPolicy struct {
	Env     string `json:"env"`
	OrgCode string `json:"orgCode"`
	Policy  string `json:"policy"`
	// AllowedFactors, when not empty, narrows the environment's: the
	// types in both are allowed in the organization.
	AllowedFactors []FactorType `json:"allowedFactors,omitempty"`
	// RequiredSince is when the override last became required (set by the
	// service); it starts the grace period in the organization.
	RequiredSince *time.Time `json:"requiredSince,omitempty"`
	UpdatedAt     time.Time  `json:"updatedAt"`
}

// Duration is a time.Duration written in JSON as whole seconds.
type Duration time.Duration

// EnvRequest names an environment.
type EnvRequest struct {
	Env string `json:"env"`
}

// OrgRequest names an organization.
type OrgRequest struct {
	Env     string `json:"env"`
	OrgCode string `json:"orgCode"`
}

// ContextRequest asks for the MFA context of a sign-in of UserID into
// OrgCode (empty: none) through ConnectionID, the user holding Roles in
// that organization. UserCreatedAt starts the grace period of users who
// signed up after the policy became required.
type ContextRequest struct {
	Env           string    `json:"env"`
	UserID        string    `json:"userId"`
	OrgCode       string    `json:"orgCode,omitempty"`
	ConnectionID  string    `json:"connectionId,omitempty"`
	Roles         []string  `json:"roles,omitempty"`
	UserCreatedAt time.Time `json:"userCreatedAt"`
}

// Context is the MFA context of a sign-in: context.mfa of user:pre_mfa
// (Policy, Context, EnabledFactors, IsUserRoleExempt,
// IsUserConnectionExempt) and what the frontdoor needs to apply it.
type Context struct {
	Policy                 string   `json:"policy"`
	Context                string   `json:"context"`
	EnabledFactors         []string `json:"enabledFactors"` // Kinde names: mfa:sms…
	IsUserRoleExempt       bool     `json:"isUserRoleExempt"`
	IsUserConnectionExempt bool     `json:"isUserConnectionExempt"`
	// Factors are the user's verified factors of the allowed types.
	Factors []Factor `json:"factors"`
	// HasFactors is true when the user has any verified factor (or unused
	// backup codes), allowed here or not: such a user is never offered to
	// set up a new factor with a password alone.
	HasFactors bool `json:"hasFactors"`
	// GraceEndsAt is set when the user has no verified factor and may
	// still sign in without one until then.
	GraceEndsAt *time.Time `json:"graceEndsAt,omitempty"`
	// StepUpMaxAge is the environment's (0: none).
	StepUpMaxAge Duration `json:"stepUpMaxAge"`
	// Locked is true when the user's factors are locked after too many
	// failures.
	Locked bool `json:"locked"`
}

// StatsRequest asks for enrollment stats of an environment, or of one
// organization's members (MemberIDs, given by the caller, who owns
// memberships). TotalUsers is the caller's count, for the rate.
type StatsRequest struct {
	Env        string   `json:"env"`
	OrgCode    string   `json:"orgCode,omitempty"`
	MemberIDs  []string `json:"memberIds,omitempty"`
	TotalUsers int      `json:"totalUsers"`
}

// Stats counts users with at least one verified factor.
type Stats struct {
	Env        string             `json:"env"`
	OrgCode    string             `json:"orgCode,omitempty"`
	TotalUsers int                `json:"totalUsers"`
	Enrolled   int                `json:"enrolled"`
	Rate       float64            `json:"rate"` // Enrolled / TotalUsers, 0 when no users
	ByFactor   map[FactorType]int `json:"byFactor"`
}
