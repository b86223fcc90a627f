package api

import (
	"time"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Subjects of the deployments service's endpoints.
const (
	SubjectUpload         = "gatehouse.deployments.upload"
	SubjectList           = "gatehouse.deployments.list"
	SubjectGet            = "gatehouse.deployments.get"
	SubjectLive           = "gatehouse.deployments.live"          // the live deployment for (env, trigger)
	SubjectLiveTriggers   = "gatehouse.deployments.live_triggers" // every trigger with a live workflow in env
	SubjectMakeLive       = "gatehouse.deployments.make_live"
	SubjectDeactivate     = "gatehouse.deployments.deactivate"
	SubjectDelete         = "gatehouse.deployments.delete"
	SubjectDeleteWorkflow = "gatehouse.deployments.delete_workflow"
	SubjectWorkflows      = "gatehouse.deployments.workflows"
	SubjectPreviewCheck   = "gatehouse.deployments.preview_check"
	// SubjectPreviewPassword replaces a deployment's preview password with
	// a new one (IDRequest → PreviewPasswordResponse); the old one stops
	// working.
	SubjectPreviewPassword = "gatehouse.deployments.preview_password"
	SubjectGetSettings     = "gatehouse.deployments.settings.get"
	SubjectSetSettings     = "gatehouse.deployments.settings.set"
)

// EventChanged is published (core NATS) after every change, with a Change body.
const EventChanged = "gatehouse.events.deployments.changed"

// ArtifactBucket is the object store bucket holding workflow modules.
const ArtifactBucket = "gatehouse_artifacts"

// MaxArtifactBytes caps an uploaded module.
const MaxArtifactBytes = 16 << 20

// Status of a deployment, as in Kinde.
type Status string

// Deployment statuses.
const (
	StatusProcessing  Status = "Processing"  // uploaded, being validated
	StatusDraft       Status = "Draft"       // valid; its workflow has no live deployment
	StatusDeployed    Status = "Deployed"    // valid and ready to be made live
	StatusLive        Status = "Live"        // runs when its trigger fires
	StatusFailed      Status = "Failed"      // did not pass validation; see the build log
	StatusDeactivated Status = "Deactivated" // was live, stopped; can be made live again
)

// Deployment is one uploaded version of a workflow.
type Deployment struct {
	ID            string       `json:"id"`
	Env           string       `json:"env"`
	WorkflowID    string       `json:"workflowId,omitempty"`
	WorkflowName  string       `json:"workflowName,omitempty"`
	Trigger       abi.Trigger  `json:"trigger,omitempty"`
	Status        Status       `json:"status"`
	SHA256        string       `json:"sha256"`
	Size          int          `json:"size"`
	Settings      abi.Settings `json:"settings"`
	FailurePolicy string       `json:"failurePolicy,omitempty"`
	Error         string       `json:"error,omitempty"`
	Source        string       `json:"source,omitempty"` // file name or description given at upload
	CreatedAt     time.Time    `json:"createdAt"`
	LiveAt        *time.Time   `json:"liveAt,omitempty"`
}

// UploadRequest asks to deploy the module already stored in ArtifactBucket
// under SHA256.
type UploadRequest struct {
	Env    string `json:"env"`
	SHA256 string `json:"sha256"`
	Source string `json:"source,omitempty"`
	// Live overrides the environment's auto-live setting for this upload.
	Live *bool `json:"live,omitempty"`
}

// UploadResponse reports the new deployment. A module that fails validation
// still gets a deployment (status Failed) and build log lines; PreviewPassword
// is set only for a valid deployment and is never shown again.
type UploadResponse struct {
	Deployment      Deployment `json:"deployment"`
	BuildLog        []LogEntry `json:"buildLog"`
	PreviewPassword string     `json:"previewPassword,omitempty"`
}

// ListRequest filters deployments.
type ListRequest struct {
	Env        string      `json:"env"`
	WorkflowID string      `json:"workflowId,omitempty"`
	Trigger    abi.Trigger `json:"trigger,omitempty"`
	Limit      int         `json:"limit,omitempty"`
}

// ListResponse lists deployments, newest first.
type ListResponse struct {
	Deployments []Deployment `json:"deployments"`
}

// IDRequest names one deployment.
type IDRequest struct {
	Env          string `json:"env"`
	DeploymentID string `json:"deploymentId"`
}

// LiveRequest asks for the live deployment of a trigger.
type LiveRequest struct {
	Env     string      `json:"env"`
	Trigger abi.Trigger `json:"trigger"`
}

// LiveResponse is empty (Deployment nil) when the trigger has no live workflow.
type LiveResponse struct {
	Deployment *Deployment `json:"deployment,omitempty"`
}

// LiveTriggersRequest asks which triggers have a live workflow.
type LiveTriggersRequest struct {
	Env string `json:"env"`
}

// LiveTrigger is one trigger with a live workflow and its failure policy.
type LiveTrigger struct {
	Trigger       abi.Trigger `json:"trigger"`
	DeploymentID  string      `json:"deploymentId"`
	FailurePolicy string      `json:"failurePolicy"`
}

// LiveTriggersResponse lists the live triggers of an environment.
type LiveTriggersResponse struct {
	Triggers []LiveTrigger `json:"triggers"`
}

// Workflow is a workflow and its current live deployment, if any.
type Workflow struct {
	Env              string      `json:"env"`
	ID               string      `json:"id"`
	Name             string      `json:"name,omitempty"`
	Trigger          abi.Trigger `json:"trigger"`
	LiveDeploymentID string      `json:"liveDeploymentId,omitempty"`
	Status           string      `json:"status"` // "Live", "Draft" or "Deactivated"
	CreatedAt        time.Time   `json:"createdAt"`
}

// WorkflowsRequest lists the workflows of an environment.
type WorkflowsRequest struct {
	Env string `json:"env"`
}

// WorkflowsResponse lists workflows.
type WorkflowsResponse struct {
	Workflows []Workflow `json:"workflows"`
}

// DeleteWorkflowRequest deletes a workflow and all its deployments.
type DeleteWorkflowRequest struct {
	Env        string `json:"env"`
	WorkflowID string `json:"workflowId"`
}

// LogKind tells build logs from sync logs.
type LogKind string

// Log kinds.
const (
	LogBuild LogKind = "build"
	LogSync  LogKind = "sync"
)

// LogEntry is one build or sync log line.
type LogEntry struct {
	Kind         LogKind   `json:"kind"`
	DeploymentID string    `json:"deploymentId,omitempty"`
	WorkflowID   string    `json:"workflowId,omitempty"`
	Level        string    `json:"level"` // info | warn | error
	Message      string    `json:"message"`
	CreatedAt    time.Time `json:"createdAt"`
}

// PreviewCheckRequest checks a deployment's preview password.
type PreviewCheckRequest struct {
	Env          string `json:"env"`
	DeploymentID string `json:"deploymentId"`
	Password     string `json:"password"`
}

// PreviewCheckResponse says whether the password matched.
type PreviewCheckResponse struct {
	OK         bool        `json:"ok"`
	Deployment *Deployment `json:"deployment,omitempty"`
}

// PreviewPasswordResponse carries a deployment's new preview password,
// shown this once.
type PreviewPasswordResponse struct {
	Deployment      Deployment `json:"deployment"`
	PreviewPassword string     `json:"previewPassword"`
}

// EnvSettings are the per-environment deployment settings.
type EnvSettings struct {
	Env      string `json:"env"`
	AutoLive bool   `json:"autoLive"`
}

// EnvRequest names an environment.
type EnvRequest struct {
	Env string `json:"env"`
}

// Change is the body of EventChanged.
type Change struct {
	Env          string      `json:"env"`
	Trigger      abi.Trigger `json:"trigger,omitempty"`
	DeploymentID string      `json:"deploymentId,omitempty"`
	WorkflowID   string      `json:"workflowId,omitempty"`
	Action       string      `json:"action"` // uploaded | live | deactivated | deleted | settings
	SHA256       string      `json:"sha256,omitempty"`
}

// Empty is the reply of endpoints that return nothing.
type Empty struct{}
