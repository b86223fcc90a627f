package wfcli

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
)

// natsGatehouse reaches the services of a Gatehouse over NATS.
type natsGatehouse struct {
	nc  *nats.Conn
	env string
}

func (g *natsGatehouse) Where() string { return g.nc.ConnectedUrlRedacted() }

func (g *natsGatehouse) Close() { g.nc.Close() }

func (g *natsGatehouse) Workflows(ctx context.Context) ([]dapi.Workflow, error) {
	resp, err := call[dapi.WorkflowsRequest, dapi.WorkflowsResponse](ctx, g.nc, requestTimeout, dapi.SubjectWorkflows, dapi.WorkflowsRequest{Env: g.env})
	return resp.Workflows, err
}

func (g *natsGatehouse) Deployments(ctx context.Context, limit int) ([]dapi.Deployment, error) {
	resp, err := call[dapi.ListRequest, dapi.ListResponse](ctx, g.nc, requestTimeout, dapi.SubjectList, dapi.ListRequest{Env: g.env, Limit: limit})
	return resp.Deployments, err
}

func (g *natsGatehouse) Upload(ctx context.Context, wasm []byte, source string, live *bool) (dapi.UploadResponse, error) {
	js, err := jetstream.New(g.nc)
	if err != nil {
		return dapi.UploadResponse{}, fmt.Errorf("JetStream on %s: %w", g.Where(), err)
	}
	pctx, cancel := context.WithTimeout(ctx, requestTimeout)
	digest, err := dapi.PutArtifact(pctx, js, wasm)
	cancel()
	if err != nil {
		return dapi.UploadResponse{}, fmt.Errorf("store the module on %s: %w", g.Where(), err)
	}
	return call[dapi.UploadRequest, dapi.UploadResponse](ctx, g.nc, uploadTimeout, dapi.SubjectUpload,
		dapi.UploadRequest{Env: g.env, SHA256: digest, Source: source, Live: live})
}

func (g *natsGatehouse) MakeLive(ctx context.Context, id string) (dapi.Deployment, error) {
	return call[dapi.IDRequest, dapi.Deployment](ctx, g.nc, requestTimeout, dapi.SubjectMakeLive, dapi.IDRequest{Env: g.env, DeploymentID: id})
}

func (g *natsGatehouse) Deactivate(ctx context.Context, id string) (dapi.Deployment, error) {
	return call[dapi.IDRequest, dapi.Deployment](ctx, g.nc, requestTimeout, dapi.SubjectDeactivate, dapi.IDRequest{Env: g.env, DeploymentID: id})
}

func (g *natsGatehouse) DeleteDeployment(ctx context.Context, id string) error {
	_, err := call[dapi.IDRequest, dapi.Empty](ctx, g.nc, requestTimeout, dapi.SubjectDelete, dapi.IDRequest{Env: g.env, DeploymentID: id})
	return err
}

func (g *natsGatehouse) DeleteWorkflow(ctx context.Context, id string) error {
	_, err := call[dapi.DeleteWorkflowRequest, dapi.Empty](ctx, g.nc, requestTimeout, dapi.SubjectDeleteWorkflow,
		dapi.DeleteWorkflowRequest{Env: g.env, WorkflowID: id})
	return err
}

func (g *natsGatehouse) EnvList(ctx context.Context) ([]kapi.EnvVar, error) {
	resp, err := call[kapi.ListEnvRequest, kapi.ListEnvResponse](ctx, g.nc, requestTimeout, kapi.SubjectEnvList, kapi.ListEnvRequest{Env: g.env})
	return resp.Variables, err
}

func (g *natsGatehouse) EnvCreate(ctx context.Context, key, value string, secret bool) error {
	_, err := call[kapi.CreateEnvRequest, kapi.EnvVar](ctx, g.nc, requestTimeout, kapi.SubjectEnvCreate,
		kapi.CreateEnvRequest{Env: g.env, Key: key, Value: value, IsSecret: secret})
	return err
}

func (g *natsGatehouse) EnvUpdate(ctx context.Context, key, value string, secret bool) error {
	_, err := call[kapi.UpdateEnvRequest, kapi.EnvVar](ctx, g.nc, requestTimeout, kapi.SubjectEnvUpdate,
		kapi.UpdateEnvRequest{Env: g.env, Key: key, Value: &value, IsSecret: &secret})
	return err
}

func (g *natsGatehouse) EnvDelete(ctx context.Context, key string) error {
	resp, err := call[kapi.EnvKeyRequest, kapi.DeleteResponse](ctx, g.nc, requestTimeout, kapi.SubjectEnvDelete, kapi.EnvKeyRequest{Env: g.env, Key: key})
	if err == nil && !resp.Deleted {
		err = errors.New("no such variable")
	}
	return err
}

func (g *natsGatehouse) KeyCreate(ctx context.Context, workflowID string) (kapi.CreateWorkflowKeyResponse, error) {
	return call[kapi.CreateWorkflowKeyRequest, kapi.CreateWorkflowKeyResponse](ctx, g.nc, requestTimeout, kapi.SubjectWorkflowKeyCreate,
		kapi.CreateWorkflowKeyRequest{Env: g.env, WorkflowID: workflowID})
}

func (g *natsGatehouse) KeyList(ctx context.Context, workflowID string) ([]kapi.WorkflowKey, error) {
	resp, err := call[kapi.ListWorkflowKeysRequest, kapi.ListWorkflowKeysResponse](ctx, g.nc, requestTimeout, kapi.SubjectWorkflowKeyList,
		kapi.ListWorkflowKeysRequest{Env: g.env, WorkflowID: workflowID})
	return resp.Keys, err
}

func (g *natsGatehouse) KeyActivate(ctx context.Context, id string) (kapi.WorkflowKey, error) {
	return call[kapi.WorkflowKeyRequest, kapi.WorkflowKey](ctx, g.nc, requestTimeout, kapi.SubjectWorkflowKeyActivate, kapi.WorkflowKeyRequest{Env: g.env, KeyID: id})
}

func (g *natsGatehouse) KeyDeactivate(ctx context.Context, id string) (kapi.WorkflowKey, error) {
	return call[kapi.WorkflowKeyRequest, kapi.WorkflowKey](ctx, g.nc, requestTimeout, kapi.SubjectWorkflowKeyDeactivate, kapi.WorkflowKeyRequest{Env: g.env, KeyID: id})
}

func (g *natsGatehouse) KeyDelete(ctx context.Context, id string) error {
	resp, err := call[kapi.WorkflowKeyRequest, kapi.DeleteResponse](ctx, g.nc, requestTimeout, kapi.SubjectWorkflowKeyDelete, kapi.WorkflowKeyRequest{Env: g.env, KeyID: id})
	if err == nil && !resp.Deleted {
		err = errors.New("no such key")
	}
	return err
}

func (g *natsGatehouse) Logs(ctx context.Context, req lapi.QueryRequest) (lapi.QueryResponse, error) {
	return call[lapi.QueryRequest, lapi.QueryResponse](ctx, g.nc, requestTimeout, lapi.SubjectQuery, req)
}

// Follow subscribes to the live records of the environment.
func (g *natsGatehouse) Follow(ctx context.Context, req lapi.QueryRequest, warn func(string)) (logStream, error) {
	s := &natsLogStream{nc: g.nc, tail: make(chan *nats.Msg, tailBuffer), closed: make(chan struct{}), warn: warn}
	var err error
	s.sub, err = g.nc.ChanSubscribe(lapi.TailSubject(req.Env), s.tail)
	if err != nil {
		return nil, err
	}
	g.nc.SetClosedHandler(func(*nats.Conn) { close(s.closed) })
	fctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := g.nc.FlushWithContext(fctx); err != nil {
		_ = s.sub.Unsubscribe()
		return nil, err
	}
	return s, nil
}

// natsLogStream is a subscription to the live log subject.
type natsLogStream struct {
	nc      *nats.Conn
	sub     *nats.Subscription
	tail    chan *nats.Msg
	closed  chan struct{}
	warn    func(string)
	dropped int
}

func (s *natsLogStream) Next(ctx context.Context) ([]lapi.Record, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.closed:
			return nil, fmt.Errorf("the connection to Gatehouse closed while following the logs: %v", s.nc.LastError())
		case m := <-s.tail:
			if n, err := s.sub.Dropped(); err == nil && n > s.dropped {
				s.warn(fmt.Sprintf("%d live records were dropped because the output did not keep up: query them with --since", n-s.dropped))
				s.dropped = n
			}
			recs, err := lapi.DecodeRecords(m.Data)
			if err != nil {
				s.warn(fmt.Sprintf("log records on %s do not decode: %v", m.Subject, err))
				continue
			}
			return recs, nil
		}
	}
}

func (s *natsLogStream) Close() { _ = s.sub.Unsubscribe() }
