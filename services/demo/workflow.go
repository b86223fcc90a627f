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

// workflowRelDir is where the demo workflow lives in the repository.
var workflowRelDir = filepath.Join("wasm-sdk", "examples", "demoflair")

// deployTimeout bounds building and deploying the demo workflow.
const deployTimeout = 2 * time.Minute

// deployWorkflow builds and deploys the demo workflow unless the
// environment already has it, or has another user:tokens_generation
// workflow (one workflow per trigger: the seed never replaces the
// developer's own). Problems are logged as warnings: the rest of the demo
// works without the workflow, only without its claim.
func (d *Demo) deployWorkflow(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, deployTimeout)
	defer cancel()
	log := d.cfg.Logger
	wfs, err := natsrpc.Call[dapi.WorkflowsRequest, dapi.WorkflowsResponse](ctx, d.cfg.NATS, dapi.SubjectWorkflows, dapi.WorkflowsRequest{Env: env})
	if err != nil {
		log.Warn("demo: cannot list the workflows; the demo workflow is not deployed", "err", err)
		return
	}
	for _, wf := range wfs.Workflows {
		if wf.ID == WorkflowID {
			return
		}
		if wf.Trigger == abi.TriggerTokensGeneration {
			log.Info("demo: another user:tokens_generation workflow is deployed; the demo workflow is not, so the demo shows that workflow's claims",
				"workflow", wf.ID)
			return
		}
	}
	dir, err := d.workflowDir()
	if err != nil {
		log.Warn("demo: the demo workflow is not deployed", "err", err)
		return
	}
	build := d.cfg.Build
	if build == nil {
		build = buildWasm
	}
	started := time.Now()
	wasm, err := build(ctx, dir)
	if errors.Is(err, wasmbuild.ErrToolchainMissing) {
		log.Warn("demo: no Go toolchain on PATH; the demo workflow is not deployed", "dir", dir)
		return
	}
	if err != nil {
		log.Warn("demo: the demo workflow did not build; it is not deployed", "dir", dir, "err", err)
		return
	}
	dep, err := upload(ctx, d.cfg.NATS, wasm)
	if err != nil {
		log.Warn("demo: the demo workflow was not deployed", "err", err)
		return
	}
	log.Info("demo: deployed the demo workflow", "workflow", WorkflowID, "deployment", dep.ID, "status", dep.Status,
		"took", time.Since(started).Round(time.Millisecond))
}

// workflowDir returns cfg.WorkflowDir, or the demo workflow found above the
// working directory or the executable.
func (d *Demo) workflowDir() (string, error) {
	if d.cfg.WorkflowDir != "" {
		return d.cfg.WorkflowDir, nil
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
			candidate := filepath.Join(dir, workflowRelDir)
			if _, err := os.Stat(filepath.Join(candidate, "main.go")); err == nil {
				return candidate, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("%s not found above the working directory or the executable (run gatehouse serve from the repository)", workflowRelDir)
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

// upload stores the module in the artifact bucket and deploys it.
func upload(ctx context.Context, nc *nats.Conn, wasm []byte) (dapi.Deployment, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return dapi.Deployment{}, fmt.Errorf("JetStream: %w", err)
	}
	sha, err := dapi.PutArtifact(ctx, js, wasm)
	if err != nil {
		return dapi.Deployment{}, fmt.Errorf("store the module: %w", err)
	}
	resp, err := natsrpc.Call[dapi.UploadRequest, dapi.UploadResponse](ctx, nc, dapi.SubjectUpload,
		dapi.UploadRequest{Env: env, SHA256: sha, Source: "demo seed (" + workflowRelDir + ")"})
	if err != nil {
		return dapi.Deployment{}, fmt.Errorf("upload: %w", err)
	}
	if resp.Deployment.Status == dapi.StatusFailed {
		return resp.Deployment, fmt.Errorf("deployment %s failed validation: %s", resp.Deployment.ID, resp.Deployment.Error)
	}
	return resp.Deployment, nil
}
