package abi

import "encoding/json"

// Version is the ABI version a module must report from gatehouse_abi_version.
const Version = 1

// HostModule is the import module name of every host function.
const HostModule = "gatehouse"

// Guest export names.
const (
	ExportABIVersion = "gatehouse_abi_version"
	ExportSettings   = "gatehouse_settings"
	ExportAlloc      = "gatehouse_alloc"
	ExportHandle     = "gatehouse_handle"
	ExportInitialize = "_initialize"
)

// Return values of gatehouse_handle.
const (
	HandleOK    = 0 // the workflow returned normally
	HandleError = 1 // the workflow failed; the message was sent with "error"
)

// Host function names (imported from HostModule) and their signatures.
const (
	// result_len() -> i32: length of the pending result.
	FnResultLen = "result_len"
	// result_read(ptr, len) -> i32: copies min(len, pending) bytes, returns the count.
	FnResultRead = "result_read"
	// error(ptr, len) -> i32: the guest reports why the workflow failed.
	FnError = "error"
	// log(level, ptr, len) -> i32: console output (binding "console").
	FnLog = "log"
	// deny_access(reasonPtr, reasonLen) -> i32 (binding kinde.auth).
	FnDenyAccess = "deny_access"
	// set_claim(token, namePtr, nameLen, jsonPtr, jsonLen) -> i32
	// (bindings kinde.accessToken, kinde.idToken, kinde.m2mToken by token kind).
	FnSetClaim = "set_claim"
	// set_enforcement_policy(ptr, len) -> i32: "required" or "skip" (kinde.mfa).
	FnSetEnforcementPolicy = "set_enforcement_policy"
	// mfa_factors(kind, jsonPtr, jsonLen) -> i32: JSON array of factor names,
	// kind FactorsChallenge or FactorsEnroll (kinde.mfa).
	FnMFAFactors = "mfa_factors"
	// invalidate_form_field(fieldPtr, fieldLen, msgPtr, msgLen) -> i32 (kinde.widget).
	FnInvalidateFormField = "invalidate_form_field"
	// deny_plan_selection(reasonPtr, reasonLen, suggestionsJSONPtr, suggestionsJSONLen) -> i32 (kinde.plan).
	FnDenyPlanSelection = "deny_plan_selection"
	// deny_plan_cancellation(reasonPtr, reasonLen) -> i32 (kinde.plan).
	FnDenyPlanCancellation = "deny_plan_cancellation"
	// fetch(reqJSONPtr, reqJSONLen) -> i32: length of the FetchResponse JSON (kinde.fetch).
	FnFetch = "fetch"
	// secure_fetch(reqJSONPtr, reqJSONLen) -> i32: as fetch, body encrypted (kinde.secureFetch).
	FnSecureFetch = "secure_fetch"
	// get_env(keyPtr, keyLen) -> i32: length of {"value","isSecret"} JSON,
	// or StatusNotFound when the variable does not exist (kinde.env).
	FnGetEnv = "get_env"
)

// Token kinds for set_claim.
const (
	TokenAccess = 1
	TokenID     = 2
	TokenM2M    = 3
)

// Factor list kinds for mfa_factors.
const (
	FactorsChallenge = 1
	FactorsEnroll    = 2
)

// Console levels for log.
const (
	LevelDebug = 0
	LevelInfo  = 1
	LevelWarn  = 2
	LevelError = 3
)

// Status is the negative result of a host function.
type Status int32

// Statuses returned by host functions. Every negative status leaves an error
// message as the pending result.
const (
	StatusOK              Status = 0
	StatusNotDeclared     Status = -1 // the binding is not declared in the workflow settings
	StatusNotAvailable    Status = -2 // the binding is not available for this trigger
	StatusInvalidArgument Status = -3 // bad field name, bad JSON, prohibited value…
	StatusNotFound        Status = -4 // e.g. an environment variable that does not exist
	StatusLimitExceeded   Status = -5 // fetch calls, log bytes, response size…
	StatusFetchFailed     Status = -6 // network error, timeout, refused destination
	StatusNotImplemented  Status = -7 // the binding exists but this host does not serve it yet
	StatusInternal        Status = -8
)

// String names a status the way error messages show it.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusNotDeclared:
		return "binding_not_declared"
	case StatusNotAvailable:
		return "binding_not_available"
	case StatusInvalidArgument:
		return "invalid_argument"
	case StatusNotFound:
		return "not_found"
	case StatusLimitExceeded:
		return "limit_exceeded"
	case StatusFetchFailed:
		return "fetch_failed"
	case StatusNotImplemented:
		return "not_implemented"
	default:
		return "internal"
	}
}

// Trigger is a workflow trigger name, exactly as in the Kinde documentation.
type Trigger string

// The nine triggers.
const (
	TriggerPreRegistration          Trigger = "user:pre_registration"
	TriggerPostAuthentication       Trigger = "user:post_authentication"
	TriggerNewPasswordProvided      Trigger = "user:new_password_provided"
	TriggerExistingPasswordProvided Trigger = "user:existing_password_provided"
	TriggerPreMFA                   Trigger = "user:pre_mfa"
	TriggerTokensGeneration         Trigger = "user:tokens_generation"
	TriggerM2MTokenGeneration       Trigger = "m2m:token_generation"
	TriggerPlanSelection            Trigger = "user:plan_selection"
	TriggerPlanCancellationRequest  Trigger = "user:plan_cancellation_request"
)

// Triggers lists every trigger in a stable order.
var Triggers = []Trigger{
	TriggerPreRegistration,
	TriggerPostAuthentication,
	TriggerNewPasswordProvided,
	TriggerExistingPasswordProvided,
	TriggerPreMFA,
	TriggerTokensGeneration,
	TriggerM2MTokenGeneration,
	TriggerPlanSelection,
	TriggerPlanCancellationRequest,
}

// Known reports whether t is one of the nine triggers.
func (t Trigger) Known() bool {
	for _, k := range Triggers {
		if k == t {
			return true
		}
	}
	return false
}

// Binding is a capability a workflow declares in its settings.
type Binding string

// The bindings. "console" and "url" are native bindings: they are granted to
// every workflow whether or not its settings declare them, as in Kinde, where
// console.log works in the simplest workflow.
const (
	BindingAccessToken Binding = "kinde.accessToken"
	BindingIDToken     Binding = "kinde.idToken"
	BindingM2MToken    Binding = "kinde.m2mToken"
	BindingAuth        Binding = "kinde.auth"
	BindingMFA         Binding = "kinde.mfa"
	BindingPlan        Binding = "kinde.plan"
	BindingWidget      Binding = "kinde.widget"
	BindingEnv         Binding = "kinde.env"
	BindingFetch       Binding = "kinde.fetch"
	BindingSecureFetch Binding = "kinde.secureFetch"
	BindingURL         Binding = "url"
	BindingConsole     Binding = "console"
)

// Bindings lists every binding in a stable order.
var Bindings = []Binding{
	BindingAccessToken, BindingIDToken, BindingM2MToken, BindingAuth,
	BindingMFA, BindingPlan, BindingWidget, BindingEnv, BindingFetch,
	BindingSecureFetch, BindingURL, BindingConsole,
}

// Known reports whether b is a binding Gatehouse knows.
func (b Binding) Known() bool {
	for _, k := range Bindings {
		if k == b {
			return true
		}
	}
	return false
}

// Native reports whether b is granted without being declared.
func (b Binding) Native() bool { return b == BindingConsole || b == BindingURL }

var authTriggers = []Trigger{
	TriggerPreRegistration, TriggerPostAuthentication, TriggerNewPasswordProvided,
	TriggerExistingPasswordProvided, TriggerTokensGeneration, TriggerPreMFA,
}

// AvailableIn returns the triggers in which binding b may be used: the table
// in DESIGN §4, taken from the Kinde binding pages. A nil result means every
// trigger.
func (b Binding) AvailableIn() []Trigger {
	switch b {
	case BindingAccessToken, BindingIDToken:
		return []Trigger{TriggerTokensGeneration}
	case BindingM2MToken:
		return []Trigger{TriggerM2MTokenGeneration}
	case BindingAuth:
		return authTriggers
	case BindingMFA:
		return []Trigger{TriggerPreMFA}
	case BindingPlan:
		return []Trigger{TriggerPlanSelection, TriggerPlanCancellationRequest}
	case BindingWidget:
		return []Trigger{TriggerNewPasswordProvided, TriggerExistingPasswordProvided}
	default:
		return nil
	}
}

// Available reports whether binding b may be used in trigger t.
func Available(b Binding, t Trigger) bool {
	if !b.Known() || !t.Known() {
		return false
	}
	in := b.AvailableIn()
	if in == nil {
		return true
	}
	for _, x := range in {
		if x == t {
			return true
		}
	}
	return false
}

// FormFields returns the widget field names invalidate_form_field accepts in
// trigger t (empty when the widget binding is not available there).
func FormFields(t Trigger) []string {
	switch t {
	case TriggerNewPasswordProvided:
		return []string{"p_first_password", "p_second_password"}
	case TriggerExistingPasswordProvided:
		return []string{"p_password"}
	default:
		return nil
	}
}

// Failure policy actions (workflowSettings.failurePolicy.action).
const (
	FailureStop     = "stop"
	FailureContinue = "continue"
)

// MFA enforcement policies a pre-MFA workflow may set.
const (
	MFARequired = "required"
	MFASkip     = "skip"
)

// MFA factor names, as in the pre-MFA event's context.mfa.enabledFactors.
const (
	FactorSMS              = "mfa:sms"
	FactorEmail            = "mfa:email"
	FactorAuthenticatorApp = "mfa:authenticator_app"
	FactorBackupCode       = "mfa:backup_code"
)

// ProhibitedClaims returns the claims a workflow may not set on a token kind
// (DESIGN §3, after Kinde's prohibitedClaims list). The host drops them and
// reports each one in the runtime log.
func ProhibitedClaims(token int) []string {
	common := []string{"azp", "exp", "iat", "iss", "nbf", "sid", "sub", "act", "aud"}
	switch token {
	case TokenID:
		return append(common, "auth_time", "jti", "updated_at", "rat")
	case TokenAccess:
		return append(common, "jti", "scp")
	case TokenM2M:
		return append(common, "gty", "jti", "scp")
	default:
		return common
	}
}

// Settings is the JSON a module returns from gatehouse_settings. Field names
// follow Kinde's workflowSettings.
//
//	{"id":"onTokens","name":"Tokens","trigger":"user:tokens_generation",
//	 "failurePolicy":{"action":"stop"},"bindings":{"kinde.accessToken":{}}}
type Settings struct {
	ID            string                     `json:"id"`
	Name          string                     `json:"name,omitempty"`
	Trigger       Trigger                    `json:"trigger"`
	FailurePolicy FailurePolicy              `json:"failurePolicy"`
	Bindings      map[Binding]map[string]any `json:"bindings,omitempty"`
}

// FailurePolicy is workflowSettings.failurePolicy.
type FailurePolicy struct {
	Action string `json:"action,omitempty"` // FailureStop (default) or FailureContinue
}

// FetchRequest is the JSON the guest passes to fetch and secure_fetch.
type FetchRequest struct {
	URL            string            `json:"url"`
	Method         string            `json:"method,omitempty"` // default GET (POST for secure_fetch)
	Headers        map[string]string `json:"headers,omitempty"`
	Body           string            `json:"body,omitempty"`
	ResponseFormat string            `json:"responseFormat,omitempty"` // "json" or "text" (default)
}

// FetchResponse is the JSON the host returns from fetch and secure_fetch.
// Data holds the parsed body when the request asked for "json"; Text holds it
// otherwise.
type FetchResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Data    json.RawMessage   `json:"data,omitempty"`
	Text    string            `json:"text,omitempty"`
}

// EnvValue is the JSON the host returns from get_env.
type EnvValue struct {
	Value    string `json:"value"`
	IsSecret bool   `json:"isSecret"`
}
