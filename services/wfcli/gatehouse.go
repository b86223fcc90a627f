package wfcli

import (
	"context"
	"errors"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
)

// gatehouse is a running Gatehouse as the commands see it, in one
// environment. natsGatehouse talks to its services over NATS (the default,
// for a local install); httpGatehouse to its management API (--url).
// Errors of the services keep their code (not_found, conflict,
// failed_precondition…) in both: see errCode.
type gatehouse interface {
	Workflows(ctx context.Context) ([]dapi.Workflow, error)
	// Deployments lists the newest deployments, at most limit.
	Deployments(ctx context.Context, limit int) ([]dapi.Deployment, error)
	// Upload stores and deploys a module; live overrides the environment's
	// auto-live setting.
	Upload(ctx context.Context, wasm []byte, source string, live *bool) (dapi.UploadResponse, error)
	MakeLive(ctx context.Context, deploymentID string) (dapi.Deployment, error)
	Deactivate(ctx context.Context, deploymentID string) (dapi.Deployment, error)
	DeleteDeployment(ctx context.Context, deploymentID string) error
	DeleteWorkflow(ctx context.Context, workflowID string) error

	EnvList(ctx context.Context) ([]kapi.EnvVar, error)
	EnvCreate(ctx context.Context, key, value string, secret bool) error
	EnvUpdate(ctx context.Context, key, value string, secret bool) error
	// EnvDelete deletes a variable; one that does not exist is an error.
	EnvDelete(ctx context.Context, key string) error

	KeyCreate(ctx context.Context, workflowID string) (kapi.CreateWorkflowKeyResponse, error)
	KeyList(ctx context.Context, workflowID string) ([]kapi.WorkflowKey, error)
	KeyActivate(ctx context.Context, keyID string) (kapi.WorkflowKey, error)
	KeyDeactivate(ctx context.Context, keyID string) (kapi.WorkflowKey, error)
	// KeyDelete deletes a key; one that does not exist is an error.
	KeyDelete(ctx context.Context, keyID string) error

	Logs(ctx context.Context, req lapi.QueryRequest) (lapi.QueryResponse, error)
	// Follow starts following the records req selects (req.Env, req.Kind;
	// the caller filters the rest). Start it before querying the history,
	// so that nothing in between is missed.
	Follow(ctx context.Context, req lapi.QueryRequest, warn func(string)) (logStream, error)

	// Where names the Gatehouse for messages (its URL).
	Where() string
	Close()
}

// logStream delivers the records that arrive while following the logs.
type logStream interface {
	// Next waits for more records. It returns ctx's error when ctx ends.
	Next(ctx context.Context) ([]lapi.Record, error)
	Close()
}

// errCode is the code of an error from either kind of Gatehouse:
// not_found, conflict, failed_precondition, invalid_argument…, or "" when
// it carries none.
func errCode(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.Code == "invalid_request" {
			return string(natsrpc.CodeInvalidArgument)
		}
		return ae.Code
	}
	var re *natsrpc.Error
	if errors.As(err, &re) {
		return string(re.Code)
	}
	return ""
}
