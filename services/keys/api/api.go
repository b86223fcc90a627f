package api

import "time"

// Subjects of the keys service. Management subjects are for operators (the
// CLI and the management API); the resolve subjects are for workers.
const (
	SubjectEnvCreate = "gatehouse.keys.env.create"
	SubjectEnvUpdate = "gatehouse.keys.env.update"
	SubjectEnvGet    = "gatehouse.keys.env.get"
	SubjectEnvList   = "gatehouse.keys.env.list"
	SubjectEnvDelete = "gatehouse.keys.env.delete"

	SubjectWorkflowKeyCreate     = "gatehouse.keys.workflow_keys.create"
	SubjectWorkflowKeyList       = "gatehouse.keys.workflow_keys.list"
	SubjectWorkflowKeyActivate   = "gatehouse.keys.workflow_keys.activate"
	SubjectWorkflowKeyDeactivate = "gatehouse.keys.workflow_keys.deactivate"
	SubjectWorkflowKeyDelete     = "gatehouse.keys.workflow_keys.delete"

	// Worker-only: values come back sealed to the caller's transport key.
	SubjectEnvResolve        = "gatehouse.keys.env.resolve"
	SubjectWorkflowKeyActive = "gatehouse.keys.workflow_keys.active"

	// EventChanged is published (core NATS, JSON Change) after every change
	// to a variable or a workflow key, so workers drop what they cached.
	EventChanged = "gatehouse.events.keys.changed"
)

// Limits on environment variables.
const (
	MaxKeyLen          = 128      // characters in a variable name
	MaxValueBytes      = 16 << 10 // bytes in a value
	MaxVarsPerEnv      = 500      // variables in one environment
	MaxKeysPerWorkflow = 20       // encryption keys kept for one workflow
)

// EnvVar is an environment variable as management requests see it. Value is
// empty for a secret: only IsSecret says one exists.
type EnvVar struct {
	ID        string    `json:"id"` // env_…
	Env       string    `json:"env"`
	Key       string    `json:"key"`
	Value     string    `json:"value,omitempty"`
	IsSecret  bool      `json:"isSecret"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CreateEnvRequest creates a variable; conflict if Key exists in Env.
type CreateEnvRequest struct {
	Env      string `json:"env"`
	Key      string `json:"key"`
	Value    string `json:"value"`
	IsSecret bool   `json:"isSecret"`
}

// UpdateEnvRequest changes the value and/or the secrecy of an existing
// variable (not_found otherwise). A secret cannot be made non-secret, since
// that would reveal it: delete and re-create it instead (failed_precondition).
type UpdateEnvRequest struct {
	Env      string  `json:"env"`
	Key      string  `json:"key"`
	Value    *string `json:"value,omitempty"`
	IsSecret *bool   `json:"isSecret,omitempty"`
}

// EnvKeyRequest names one variable (get, delete).
type EnvKeyRequest struct {
	Env string `json:"env"`
	Key string `json:"key"`
}

// ListEnvRequest lists an environment's variables.
type ListEnvRequest struct {
	Env string `json:"env"`
}

// ListEnvResponse lists variables sorted by key; secrets without values.
type ListEnvResponse struct {
	Variables []EnvVar `json:"variables"`
}

// DeleteResponse confirms a deletion.
type DeleteResponse struct {
	Deleted bool `json:"deleted"`
}

// ResolveEnvRequest asks for a variable's value for an execution whose
// workflow declares kinde.env. TransportKey is the worker's X25519 public
// key (32 bytes); the value is sealed to it.
type ResolveEnvRequest struct {
	Env          string `json:"env"`
	Key          string `json:"key"`
	TransportKey []byte `json:"transportKey"`
}

// ResolveEnvResponse carries the sealed value. Found is false, with no
// error, for a variable that does not exist. Open Sealed with
// AADEnv(env, key).
type ResolveEnvResponse struct {
	Found    bool   `json:"found"`
	IsSecret bool   `json:"isSecret,omitempty"`
	Sealed   []byte `json:"sealed,omitempty"`
}

// WorkflowKey is a workflow encryption key without its value.
type WorkflowKey struct {
	ID          string     `json:"id"` // wfk_…
	Env         string     `json:"env"`
	WorkflowID  string     `json:"workflowId"`
	Active      bool       `json:"active"`
	CreatedAt   time.Time  `json:"createdAt"`
	ActivatedAt *time.Time `json:"activatedAt,omitempty"`
}

// CreateWorkflowKeyRequest creates a key for a workflow. The first key of a
// workflow becomes active; later ones are created inactive (Kinde semantics).
type CreateWorkflowKeyRequest struct {
	Env        string `json:"env"`
	WorkflowID string `json:"workflowId"`
}

// CreateWorkflowKeyResponse is the only time the key's value is shown:
// 32 bytes in unpadded base64url, as securefetch.ParseKey reads it.
type CreateWorkflowKeyResponse struct {
	Key   WorkflowKey `json:"key"`
	Value string      `json:"value"`
}

// ListWorkflowKeysRequest lists a workflow's keys.
type ListWorkflowKeysRequest struct {
	Env        string `json:"env"`
	WorkflowID string `json:"workflowId"`
}

// ListWorkflowKeysResponse lists keys, newest first, without values.
type ListWorkflowKeysResponse struct {
	Keys []WorkflowKey `json:"keys"`
}

// WorkflowKeyRequest names one key (activate, deactivate, delete).
// Activating deactivates the workflow's previously active key; deleting the
// active key is refused (failed_precondition); an unknown or deleted key is
// not_found.
type WorkflowKeyRequest struct {
	Env   string `json:"env"`
	KeyID string `json:"keyId"`
}

// ActiveKeyRequest asks for a workflow's active key, for secureFetch.
type ActiveKeyRequest struct {
	Env          string `json:"env"`
	WorkflowID   string `json:"workflowId"`
	TransportKey []byte `json:"transportKey"`
}

// ActiveKeyResponse carries the sealed 32-byte key. A workflow without an
// active key is failed_precondition. Open Sealed with
// AADWorkflowKey(env, workflowID, keyID).
type ActiveKeyResponse struct {
	KeyID  string `json:"keyId"`
	Sealed []byte `json:"sealed"`
}

// Change kinds.
const (
	ChangeEnv         = "env"
	ChangeWorkflowKey = "workflow_key"
)

// Change is the EventChanged payload. Key is set for ChangeEnv, WorkflowID
// for ChangeWorkflowKey.
type Change struct {
	Env        string `json:"env"`
	Kind       string `json:"kind"`
	Key        string `json:"key,omitempty"`
	WorkflowID string `json:"workflowId,omitempty"`
}
