package deployments

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/deployments/api"
)

func checkEnv(env string) error {
	if err := envname.Validate(env); err != nil {
		return natsrpc.Errorf(natsrpc.CodeInvalidArgument, "%v", err)
	}
	return nil
}

// mapErr turns store errors into wire errors.
func mapErr(err error, what string) error {
	var se *stateError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotFound):
		return natsrpc.Errorf(natsrpc.CodeNotFound, "%s does not exist", what)
	case errors.As(err, &se):
		return natsrpc.Errorf(natsrpc.CodeFailedPrecondition, "%s", se.msg)
	default:
		return err
	}
}

func (s *Service) list(ctx context.Context, req api.ListRequest) (api.ListResponse, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.ListResponse{}, err
	}
	ds, err := s.store.listDeployments(ctx, req)
	return api.ListResponse{Deployments: ds}, err
}

func (s *Service) get(ctx context.Context, req api.IDRequest) (api.Deployment, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.Deployment{}, err
	}
	d, _, err := s.store.getDeployment(ctx, req.Env, req.DeploymentID)
	if err != nil {
		return api.Deployment{}, mapErr(err, "deployment "+req.DeploymentID)
	}
	return *d, nil
}

func (s *Service) live(ctx context.Context, req api.LiveRequest) (api.LiveResponse, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.LiveResponse{}, err
	}
	if !req.Trigger.Known() {
		return api.LiveResponse{}, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "unknown trigger %q", req.Trigger)
	}
	d, err := s.store.liveDeployment(ctx, req.Env, req.Trigger)
	if errors.Is(err, errNotFound) {
		return api.LiveResponse{}, nil
	}
	if err != nil {
		return api.LiveResponse{}, err
	}
	return api.LiveResponse{Deployment: d}, nil
}

func (s *Service) liveTriggers(ctx context.Context, req api.LiveTriggersRequest) (api.LiveTriggersResponse, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.LiveTriggersResponse{}, err
	}
	ts, err := s.store.liveTriggers(ctx, req.Env)
	return api.LiveTriggersResponse{Triggers: ts}, err
}

func (s *Service) makeLive(ctx context.Context, req api.IDRequest) (api.Deployment, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.Deployment{}, err
	}
	d, err := s.store.makeLive(ctx, req.Env, req.DeploymentID)
	if err != nil {
		return api.Deployment{}, mapErr(err, "deployment "+req.DeploymentID)
	}
	s.logChange(d, "made live")
	s.announce(api.Change{Env: d.Env, Trigger: d.Trigger, DeploymentID: d.ID, WorkflowID: d.WorkflowID, Action: "live", SHA256: d.SHA256})
	return *d, nil
}

func (s *Service) deactivate(ctx context.Context, req api.IDRequest) (api.Deployment, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.Deployment{}, err
	}
	d, err := s.store.deactivate(ctx, req.Env, req.DeploymentID)
	if err != nil {
		return api.Deployment{}, mapErr(err, "deployment "+req.DeploymentID)
	}
	s.logChange(d, "deactivated")
	s.announce(api.Change{Env: d.Env, Trigger: d.Trigger, DeploymentID: d.ID, WorkflowID: d.WorkflowID, Action: "deactivated"})
	return *d, nil
}

func (s *Service) deleteDeployment(ctx context.Context, req api.IDRequest) (api.Empty, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.Empty{}, err
	}
	d, err := s.store.deleteDeployment(ctx, req.Env, req.DeploymentID)
	if err != nil {
		return api.Empty{}, mapErr(err, "deployment "+req.DeploymentID)
	}
	s.logChange(d, "deleted")
	s.dropArtifact(ctx, d.SHA256)
	s.announce(api.Change{Env: d.Env, Trigger: d.Trigger, DeploymentID: d.ID, WorkflowID: d.WorkflowID, Action: "deleted"})
	return api.Empty{}, nil
}

func (s *Service) deleteWorkflow(ctx context.Context, req api.DeleteWorkflowRequest) (api.Empty, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.Empty{}, err
	}
	ds, err := s.store.deleteWorkflow(ctx, req.Env, req.WorkflowID)
	if err != nil {
		return api.Empty{}, mapErr(err, "workflow "+req.WorkflowID)
	}
	for _, d := range ds {
		s.dropArtifact(ctx, d.SHA256)
	}
	s.publishLog(req.Env, api.LogEntry{Kind: api.LogSync, WorkflowID: req.WorkflowID, Level: "info",
		Message: "workflow " + req.WorkflowID + " deleted with its deployments", CreatedAt: s.now().UTC()})
	s.announce(api.Change{Env: req.Env, WorkflowID: req.WorkflowID, Action: "deleted"})
	return api.Empty{}, nil
}

func (s *Service) workflows(ctx context.Context, req api.WorkflowsRequest) (api.WorkflowsResponse, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.WorkflowsResponse{}, err
	}
	ws, err := s.store.workflows(ctx, req.Env)
	return api.WorkflowsResponse{Workflows: ws}, err
}

// previewCheck compares the password in constant time. A wrong password and
// an unknown deployment get the same answer.
func (s *Service) previewCheck(ctx context.Context, req api.PreviewCheckRequest) (api.PreviewCheckResponse, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.PreviewCheckResponse{}, err
	}
	d, hash, err := s.store.getDeployment(ctx, req.Env, req.DeploymentID)
	if errors.Is(err, errNotFound) {
		return api.PreviewCheckResponse{OK: false}, nil
	}
	if err != nil {
		return api.PreviewCheckResponse{}, err
	}
	sum := sha256.Sum256([]byte(req.Password))
	if len(hash) != len(sum) || subtle.ConstantTimeCompare(hash, sum[:]) != 1 || d.Status == api.StatusFailed {
		return api.PreviewCheckResponse{OK: false}, nil
	}
	return api.PreviewCheckResponse{OK: true, Deployment: d}, nil
}

// previewPassword gives a deployment a new preview password; the old one
// stops working.
func (s *Service) previewPassword(ctx context.Context, req api.IDRequest) (api.PreviewPasswordResponse, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.PreviewPasswordResponse{}, err
	}
	pw, hash, err := newPreviewPassword()
	if err != nil {
		return api.PreviewPasswordResponse{}, err
	}
	d, err := s.store.setPreviewHash(ctx, req.Env, req.DeploymentID, hash)
	if err != nil {
		return api.PreviewPasswordResponse{}, mapErr(err, "deployment "+req.DeploymentID)
	}
	return api.PreviewPasswordResponse{Deployment: *d, PreviewPassword: pw}, nil
}

func (s *Service) getSettings(ctx context.Context, req api.EnvRequest) (api.EnvSettings, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.EnvSettings{}, err
	}
	return s.store.envSettings(ctx, req.Env)
}

func (s *Service) setSettings(ctx context.Context, req api.EnvSettings) (api.EnvSettings, error) {
	if err := checkEnv(req.Env); err != nil {
		return api.EnvSettings{}, err
	}
	if err := s.store.setEnvSettings(ctx, req); err != nil {
		return api.EnvSettings{}, err
	}
	s.announce(api.Change{Env: req.Env, Action: "settings"})
	return req, nil
}

func (s *Service) logChange(d *api.Deployment, what string) {
	s.publishLog(d.Env, api.LogEntry{Kind: api.LogSync, DeploymentID: d.ID, WorkflowID: d.WorkflowID,
		Level: "info", Message: "deployment " + d.ID + " " + what + " (status " + string(d.Status) + ")", CreatedAt: s.now().UTC()})
}

// dropArtifact removes a module from the object store once no deployment
// refers to it.
func (s *Service) dropArtifact(ctx context.Context, sha string) {
	used, err := s.store.shaInUse(ctx, sha)
	if err != nil || used {
		return
	}
	if err := s.artifacts.Delete(ctx, sha); err != nil {
		s.log.Warn("could not delete unused module", "sha256", sha, "err", err)
	}
}
