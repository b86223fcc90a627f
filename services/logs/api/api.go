package api

import (
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream is the JetStream stream of log records.
const Stream = "GATEHOUSE_LOGS"

// RecordPrefix is the root of record subjects: gatehouse.logs.records.<kind>.<env>.
const RecordPrefix = "gatehouse.logs.records"

// SubjectQuery queries stored records (QueryRequest → QueryResponse).
const SubjectQuery = "gatehouse.logs.query"

// Kind tells runtime, build and sync records apart.
type Kind string

// Record kinds.
const (
	KindRuntime Kind = "runtime" // one workflow execution
	KindBuild   Kind = "build"   // a deployment's validation and build
	KindSync    Kind = "sync"    // an upload, make-live, deactivation or deletion
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindRuntime || k == KindBuild || k == KindSync }

// Outcome is how an execution ended.
type Outcome string

// Runtime outcomes.
const (
	OutcomeOK      Outcome = "ok"      // the workflow ran and allowed the flow
	OutcomeDenied  Outcome = "denied"  // denyAccess, a form error or a plan denial
	OutcomeError   Outcome = "error"   // the workflow failed (trap, binding error, limit…)
	OutcomeTimeout Outcome = "timeout" // the execution deadline passed
	OutcomeShed    Outcome = "shed"    // the worker was full and refused the request
)

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeOK, OutcomeDenied, OutcomeError, OutcomeTimeout, OutcomeShed:
		return true
	}
	return false
}

// RecordSubject is the subject a record of kind in env is published on.
func RecordSubject(kind Kind, env string) string {
	return RecordPrefix + "." + string(kind) + "." + env
}

// TailSubject is what a live tail of env subscribes to (all kinds).
func TailSubject(env string) string { return RecordPrefix + ".*." + env }

// ParseRecordSubject is the inverse of RecordSubject.
func ParseRecordSubject(s string) (kind Kind, env string, ok bool) {
	rest, found := strings.CutPrefix(s, RecordPrefix+".")
	if !found {
		return "", "", false
	}
	k, env, found := strings.Cut(rest, ".")
	if !found || env == "" || strings.Contains(env, ".") || !Kind(k).Valid() {
		return "", "", false
	}
	return Kind(k), env, true
}

// StreamConfig is the configuration of Stream. Records stay until the logs
// service has stored them and, at most, MaxAge: an outage of the logs
// service shorter than that loses nothing.
func StreamConfig(replicas int) jetstream.StreamConfig {
	if replicas < 1 {
		replicas = 1
	}
	return jetstream.StreamConfig{
		Name:        Stream,
		Description: "Gatehouse workflow runtime, build and sync logs, until the logs service stores them",
		Subjects:    []string{RecordPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      7 * 24 * time.Hour,
		MaxBytes:    4 << 30,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  10 * time.Minute,
	}
}

// Record is one log record. Runtime records describe one execution; build
// and sync records are one line each. Producers redact secrets and
// passwords before publishing: nothing in a record is secret.
type Record struct {
	ID           string    `json:"id"` // runtime: the execution id (exe_…); build/sync: log_…
	Kind         Kind      `json:"kind"`
	Env          string    `json:"env"`
	WorkflowID   string    `json:"workflowId,omitempty"`
	DeploymentID string    `json:"deploymentId,omitempty"`
	Time         time.Time `json:"time"` // runtime: start of the execution

	// Build and sync.
	Level   string `json:"level,omitempty"` // info | warn | error
	Message string `json:"message,omitempty"`

	// Runtime.
	Trigger    string           `json:"trigger,omitempty"`
	DurationMs float64          `json:"durationMs,omitempty"`
	Outcome    Outcome          `json:"outcome,omitempty"`
	Summary    *DecisionSummary `json:"summary,omitempty"`
	Console    []ConsoleLine    `json:"console,omitempty"`
	Error      *ExecError       `json:"error,omitempty"`
}

// DecisionSummary is what the workflow decided, without claim values.
type DecisionSummary struct {
	Denied            string            `json:"denied,omitempty"` // denyAccess reason
	AccessTokenClaims []string          `json:"accessTokenClaims,omitempty"`
	IDTokenClaims     []string          `json:"idTokenClaims,omitempty"`
	M2MTokenClaims    []string          `json:"m2mTokenClaims,omitempty"`
	DroppedClaims     []string          `json:"droppedClaims,omitempty"`
	MFAPolicy         string            `json:"mfaPolicy,omitempty"`
	ChallengeWith     []string          `json:"challengeWith,omitempty"`
	EnrollWith        []string          `json:"enrollWith,omitempty"`
	FormErrors        map[string]string `json:"formErrors,omitempty"`
	PlanDenied        string            `json:"planDenied,omitempty"`
	FailurePolicy     string            `json:"failurePolicy,omitempty"`
}

// ConsoleLine is one console line of an execution.
type ConsoleLine struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

// ExecError is why an execution failed.
type ExecError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Query limits.
const (
	DefaultQueryLimit = 50
	MaxQueryLimit     = 500
)

// QueryRequest filters stored records. Env and Kind are required; every
// other filter is optional. Records come newest first unless Ascending;
// Cursor is the NextCursor of the previous page.
type QueryRequest struct {
	Env          string    `json:"env"`
	Kind         Kind      `json:"kind"`
	WorkflowID   string    `json:"workflowId,omitempty"`
	DeploymentID string    `json:"deploymentId,omitempty"`
	ExecutionID  string    `json:"executionId,omitempty"` // runtime: the record id
	Outcome      Outcome   `json:"outcome,omitempty"`     // runtime only
	Since        time.Time `json:"since,omitzero"`        // inclusive
	Until        time.Time `json:"until,omitzero"`        // exclusive
	Ascending    bool      `json:"ascending,omitempty"`
	Limit        int       `json:"limit,omitempty"` // default DefaultQueryLimit, at most MaxQueryLimit
	Cursor       string    `json:"cursor,omitempty"`
}

// QueryResponse is one page of records; NextCursor is empty on the last.
type QueryResponse struct {
	Records    []Record `json:"records"`
	NextCursor string   `json:"nextCursor,omitempty"`
}
