package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// deployTimeout bounds building and deploying one demo workflow.
const deployTimeout = 2 * time.Minute

// demoWorkflow is a workflow the seed deploys: an example of the SDK.
type demoWorkflow struct {
	// id and trigger are the workflow's, as its settings declare them.
	id      string
	trigger abi.Trigger
	// relDir is where the workflow lives in the repository; dir, when
	// set, is the directory to build instead.
	relDir string
	dir    string
	// name is what the log calls it.
	name string
}

// workflows are the demo workflows: the claims of demoflair in every
// token, and the MFA grace period of mfagraceperiod, which requires MFA
// unless the user's last MFA is under 24 hours old.
func (d *Demo) workflows() []demoWorkflow {
	return []demoWorkflow{
		{id: WorkflowID, trigger: abi.TriggerTokensGeneration, relDir: filepath.Join("wasm-sdk", "examples", "demoflair"),
			dir: d.cfg.WorkflowDir, name: "the demo workflow"},
		{id: MFAWorkflowID, trigger: abi.TriggerPreMFA, relDir: filepath.Join("wasm-sdk", "examples", "mfagraceperiod"),
			dir: d.cfg.MFAWorkflowDir, name: "the pre-MFA workflow"},
	}
}

// deployWorkflows deploys each demo workflow that the environment lacks.
// Problems are logged as warnings: the rest of the demo works without the
// workflows, only without their claims and MFA decisions.
func (d *Demo) deployWorkflows(ctx context.Context) {
	lctx, cancel := context.WithTimeout(ctx, deployTimeout)
	wfs, err := natsrpc.Call[dapi.WorkflowsRequest, dapi.WorkflowsResponse](lctx, d.cfg.NATS, dapi.SubjectWorkflows, dapi.WorkflowsRequest{Env: env})
	cancel()
	if err != nil {
		d.cfg.Logger.Warn("demo: cannot list the workflows; the demo workflows are not deployed", "err", err)
		return
	}
	for _, wf := range d.workflows() {
		d.deployWorkflow(ctx, wf, wfs.Workflows)
	}
}

// deployWorkflow builds and deploys wf unless the environment already has
// it, or has another workflow of its trigger (one workflow per trigger:
// the seed never replaces the developer's own).
func (d *Demo) deployWorkflow(ctx context.Context, wf demoWorkflow, deployed []dapi.Workflow) {
	ctx, cancel := context.WithTimeout(ctx, deployTimeout)
	defer cancel()
	log := d.cfg.Logger
	for _, other := range deployed {
		if other.ID == wf.id {
			return
		}
		if other.Trigger == wf.trigger {
			log.Info(fmt.Sprintf("demo: another %s workflow is deployed; %s is not, so the demo shows what that workflow does", wf.trigger, wf.name),
				"workflow", other.ID)
			return
		}
	}
	dir, err := wf.findDir()
	if err != nil {
		log.Warn("demo: "+wf.name+" is not deployed", "err", err)
		return
	}
	build := d.cfg.Build
	if build == nil {
		build = buildWasm
	}
	started := time.Now()
	wasm, err := build(ctx, dir)
	if errors.Is(err, wasmbuild.ErrToolchainMissing) {
		log.Warn("demo: no Go toolchain on PATH; "+wf.name+" is not deployed", "dir", dir)
		return
	}
	if err != nil {
		log.Warn("demo: "+wf.name+" did not build; it is not deployed", "dir", dir, "err", err)
		return
	}
	dep, err := upload(ctx, d.cfg.NATS, wasm, wf.relDir)
	if err != nil {
		log.Warn("demo: "+wf.name+" was not deployed", "err", err)
		return
	}
	log.Info("demo: deployed "+wf.name, "workflow", wf.id, "deployment", dep.ID, "status", dep.Status,
		"took", time.Since(started).Round(time.Millisecond))
}

// findDir returns wf.dir, or wf.relDir found above the working directory
// or the executable.
func (wf demoWorkflow) findDir() (string, error) {
	if wf.dir != "" {
		return wf.dir, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for dir := start; ; dir = filepath.Dir(dir) {
			candidate := filepath.Join(dir, wf.relDir)
			if _, err := os.Stat(filepath.Join(candidate, "main.go")); err == nil {
				return candidate, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("%s not found above the working directory or the executable (run gatehouse serve from the repository)", wf.relDir)
}

// buildWasm builds dir with the local Go toolchain.
func buildWasm(ctx context.Context, dir string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "gatehouse-demo-")
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "workflow.wasm")
	if err := wasmbuild.Build(ctx, dir, out, nil); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// upload stores the module in the artifact bucket and deploys it; source
// names where it was built from.
func upload(ctx context.Context, nc *nats.Conn, wasm []byte, source string) (dapi.Deployment, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return dapi.Deployment{}, fmt.Errorf("JetStream: %w", err)
	}
	sha, err := dapi.PutArtifact(ctx, js, wasm)
	if err != nil {
		return dapi.Deployment{}, fmt.Errorf("store the module: %w", err)
	}
	resp, err := natsrpc.Call[dapi.UploadRequest, dapi.UploadResponse](ctx, nc, dapi.SubjectUpload,
		dapi.UploadRequest{Env: env, SHA256: sha, Source: "demo seed (" + source + ")"})
	if err != nil {
		return dapi.Deployment{}, fmt.Errorf("upload: %w", err)
	}
	if resp.Deployment.Status == dapi.StatusFailed {
		return resp.Deployment, fmt.Errorf("deployment %s failed validation: %s", resp.Deployment.ID, resp.Deployment.Error)
	}
	return resp.Deployment, nil
}
