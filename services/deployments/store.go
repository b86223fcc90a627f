package deployments

import (
	"context"
	"errors"

	"github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// errNotFound is returned by the store when a row does not exist.
var errNotFound = errors.New("not found")

// store is what the service needs from persistence. pgStore implements it.
type store interface {
	insertDeployment(ctx context.Context, d *api.Deployment) error
	failDeployment(ctx context.Context, env, id, reason string) error
	// accept records a validated deployment: it registers the workflow (or
	// refuses a clash), sets the status (Live when live is true) and stores the
	// preview hash, all in one transaction. It returns the final deployment.
	accept(ctx context.Context, d *api.Deployment, live bool, previewHash []byte) (*api.Deployment, error)
	getDeployment(ctx context.Context, env, id string) (*api.Deployment, []byte, error)
	// setPreviewHash replaces the preview hash of a deployment that did not
	// fail.
	setPreviewHash(ctx context.Context, env, id string, hash []byte) (*api.Deployment, error)
	listDeployments(ctx context.Context, req api.ListRequest) ([]api.Deployment, error)
	liveDeployment(ctx context.Context, env string, t abi.Trigger) (*api.Deployment, error)
	liveTriggers(ctx context.Context, env string) ([]api.LiveTrigger, error)
	makeLive(ctx context.Context, env, id string) (*api.Deployment, error)
	deactivate(ctx context.Context, env, id string) (*api.Deployment, error)
	deleteDeployment(ctx context.Context, env, id string) (*api.Deployment, error)
	deleteWorkflow(ctx context.Context, env, workflowID string) ([]api.Deployment, error)
	workflows(ctx context.Context, env string) ([]api.Workflow, error)
	shaInUse(ctx context.Context, sha string) (bool, error)
	envSettings(ctx context.Context, env string) (api.EnvSettings, error)
	setEnvSettings(ctx context.Context, s api.EnvSettings) error
}

// clashError is a validation failure found while registering the workflow:
// a duplicate id or a second workflow for a trigger.
type clashError struct{ msg string }

func (e *clashError) Error() string { return e.msg }

// stateError is an operation not allowed in the deployment's current status.
type stateError struct{ msg string }

func (e *stateError) Error() string { return e.msg }
