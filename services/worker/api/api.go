package api

import (
	"encoding/json"
	"strings"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// SubjectPrefix is the root of every trigger subject.
const SubjectPrefix = "gatehouse.trigger"

// SubjectAll is what workers queue-subscribe to.
const SubjectAll = SubjectPrefix + ".>"

// QueueGroup is the queue group every worker joins.
const QueueGroup = "workers"

// Subject returns gatehouse.trigger.<env>.<trigger> with ':' turned into '.'.
func Subject(env string, t abi.Trigger) string {
	return SubjectPrefix + "." + env + "." + strings.ReplaceAll(string(t), ":", ".")
}

// ParseSubject is the inverse of Subject. ok is false for a subject that does
// not name an environment and a known trigger.
func ParseSubject(subject string) (env string, t abi.Trigger, ok bool) {
	rest, found := strings.CutPrefix(subject, SubjectPrefix+".")
	if !found {
		return "", "", false
	}
	env, name, found := strings.Cut(rest, ".")
	if !found || env == "" {
		return "", "", false
	}
	kind, action, found := strings.Cut(name, ".")
	if !found {
		return "", "", false
	}
	t = abi.Trigger(kind + ":" + action)
	if !t.Known() {
		return "", "", false
	}
	return env, t, true
}

// TriggerRequest is the body of a trigger request. Event is the Kinde-shaped
// event ({"request":{…},"context":{…}}). DeploymentID is set only for preview
// runs, after the frontdoor has checked the preview password.
type TriggerRequest struct {
	Event        json.RawMessage `json:"event"`
	DeploymentID string          `json:"deploymentId,omitempty"`
}

// Decision is what a workflow asked for. Ran is false when no workflow is live
// for the trigger; the flow then goes on unchanged.
type Decision struct {
	Ran               bool                       `json:"ran"`
	ExecutionID       string                     `json:"executionId,omitempty"`
	DeploymentID      string                     `json:"deploymentId,omitempty"`
	WorkflowID        string                     `json:"workflowId,omitempty"`
	Denied            *Denial                    `json:"denied,omitempty"`
	AccessTokenClaims map[string]json.RawMessage `json:"accessTokenClaims,omitempty"`
	IDTokenClaims     map[string]json.RawMessage `json:"idTokenClaims,omitempty"`
	M2MTokenClaims    map[string]json.RawMessage `json:"m2mTokenClaims,omitempty"`
	// DroppedClaims lists "token:claim" pairs the workflow tried to set but the
	// token type prohibits; they were not applied.
	DroppedClaims []string          `json:"droppedClaims,omitempty"`
	MFAPolicy     string            `json:"mfaPolicy,omitempty"` // "required" | "skip"
	ChallengeWith []string          `json:"challengeWith,omitempty"`
	EnrollWith    []string          `json:"enrollWith,omitempty"`
	FormErrors    map[string]string `json:"formErrors,omitempty"`
	PlanDenied    *PlanDenial       `json:"planDenied,omitempty"`
	Error         *ExecError        `json:"error,omitempty"`
	FailurePolicy string            `json:"failurePolicy"` // "stop" | "continue"
	DurationMs    float64           `json:"durationMs"`
	Console       []ConsoleLine     `json:"console,omitempty"`
	// Redactions counts the secrets and passwords Redact replaced; it stays
	// in the worker (metrics) and is not sent.
	Redactions int `json:"-"`
}

// Denial is set when the workflow called denyAccess.
type Denial struct {
	Reason string `json:"reason"`
}

// PlanDenial is set when the workflow called denySelection or denyCancellation.
type PlanDenial struct {
	Reason      string   `json:"reason"`
	Suggestions []string `json:"suggestions,omitempty"`
}

// ConsoleLine is one line of console output captured during the execution.
type ConsoleLine struct {
	Level string `json:"level"` // debug | info | warn | error
	Text  string `json:"text"`
}

// ExecError explains why a workflow did not complete. The caller applies
// FailurePolicy: "stop" aborts the flow, "continue" ignores the workflow.
type ExecError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Execution error codes.
const (
	ErrCodeWorkflow     = "workflow_error"       // the workflow returned an error or panicked
	ErrCodeTrap         = "trap"                 // the module trapped or exited
	ErrCodeTimeout      = "timeout"              // the execution deadline passed
	ErrCodeMemory       = "memory_limit"         // the module ran out of its memory allowance
	ErrCodeBinding      = "binding_error"        // a binding was used without being declared or where it is not available
	ErrCodeLimit        = "limit_exceeded"       // event, response, log or fetch limits
	ErrCodeInvalidEvent = "invalid_event"        // the event is not a JSON object
	ErrCodeShed         = "overloaded"           // the worker was full and shed the request
	ErrCodeNotFound     = "deployment_not_found" // the preview deployment does not exist
	ErrCodeUnavailable  = "unavailable"          // no worker answered
	ErrCodeInternal     = "internal"
)

// Failed reports whether the decision carries an execution error.
func (d *Decision) Failed() bool { return d.Error != nil }

// Continue reports whether the flow may go on: the workflow did not run, or
// it ran without error, or it failed with failurePolicy "continue".
func (d *Decision) Continue() bool {
	return d.Error == nil || d.FailurePolicy == abi.FailureContinue
}
