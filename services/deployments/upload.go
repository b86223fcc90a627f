package deployments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// upload validates the module stored under req.SHA256 and records a
// deployment. Validation failures are not request errors: the deployment is
// recorded as Failed with build log lines that say why.
func (s *Service) upload(ctx context.Context, req api.UploadRequest) (api.UploadResponse, error) {
	if err := envname.Validate(req.Env); err != nil {
		return api.UploadResponse{}, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "%v", err)
	}
	if !digestPattern.MatchString(req.SHA256) {
		return api.UploadResponse{}, natsrpc.Errorf(natsrpc.CodeInvalidArgument,
			"sha256 must be 64 lower-case hex characters naming a module in bucket %s", api.ArtifactBucket)
	}
	wasm, err := api.GetArtifact(ctx, s.artifacts, req.SHA256)
	if err != nil {
		return api.UploadResponse{}, natsrpc.Errorf(natsrpc.CodeNotFound, "%v (store the module with PutArtifact before uploading)", err)
	}
	d := &api.Deployment{
		ID: ids.New("dep"), Env: req.Env, Status: api.StatusProcessing, SHA256: req.SHA256,
		Size: len(wasm), Source: truncate(req.Source, 200), CreatedAt: s.now().UTC(),
	}
	if err := s.store.insertDeployment(ctx, d); err != nil {
		return api.UploadResponse{}, err
	}
	// Records written after validation must land even if validating used up
	// the request's deadline: a deployment must not stay Processing.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var buildLog []api.LogEntry
	var last time.Time
	logf := func(kind api.LogKind, level, format string, args ...any) {
		// Lines of one upload keep their order when read back by time.
		at := s.now().UTC().Truncate(time.Microsecond)
		if !at.After(last) {
			at = last.Add(time.Microsecond)
		}
		last = at
		e := api.LogEntry{Kind: kind, DeploymentID: d.ID, WorkflowID: d.WorkflowID, Level: level,
			Message: fmt.Sprintf(format, args...), CreatedAt: at}
		s.publishLog(req.Env, e)
		if kind == api.LogBuild {
			buildLog = append(buildLog, e)
		}
	}
	logf(api.LogSync, "info", "received module %s (%d bytes) from %s", req.SHA256[:12], len(wasm), orDefault(d.Source, "upload"))

	fail := func(reason string) (api.UploadResponse, error) {
		logf(api.LogBuild, "error", "%s", reason)
		logf(api.LogSync, "error", "deployment %s failed: %s", d.ID, reason)
		if err := s.store.failDeployment(wctx, req.Env, d.ID, reason); err != nil {
			return api.UploadResponse{}, err
		}
		d.Status, d.Error = api.StatusFailed, reason
		return api.UploadResponse{Deployment: *d, BuildLog: buildLog}, nil
	}

	start := time.Now()
	settings, err := s.validator.Validate(ctx, wasm)
	if err != nil {
		if ctx.Err() != nil {
			return fail(fmt.Sprintf("validation did not finish in time: %v", err))
		}
		return fail(err.Error())
	}
	d.Settings, d.WorkflowID, d.Trigger = settings, settings.ID, settings.Trigger
	d.FailurePolicy = orDefault(settings.FailurePolicy.Action, abi.FailureStop)
	logf(api.LogBuild, "info", "module compiled and initialised in %d ms (ABI v%d)", time.Since(start).Milliseconds(), abi.Version)
	logf(api.LogBuild, "info", "workflow %q (%s) for trigger %s, failure policy %s, bindings: %s",
		settings.ID, orDefault(settings.Name, "no name"), settings.Trigger, d.FailurePolicy, bindingList(settings))

	live := true
	if req.Live != nil {
		live = *req.Live
	} else if es, err := s.store.envSettings(wctx, req.Env); err != nil {
		return api.UploadResponse{}, err
	} else {
		live = es.AutoLive
	}
	password, hash, err := newPreviewPassword()
	if err != nil {
		return api.UploadResponse{}, err
	}
	accepted, err := s.store.accept(wctx, d, live, hash)
	if err != nil {
		var clash *clashError
		if errors.As(err, &clash) {
			return fail(clash.msg)
		}
		return api.UploadResponse{}, err
	}
	logf(api.LogBuild, "info", "deployment %s is %s", accepted.ID, accepted.Status)
	logf(api.LogSync, "info", "workflow %q synced: deployment %s is %s", accepted.WorkflowID, accepted.ID, accepted.Status)
	action := "uploaded"
	if accepted.Status == api.StatusLive {
		action = "live"
	}
	s.announce(api.Change{Env: req.Env, Trigger: accepted.Trigger, DeploymentID: accepted.ID,
		WorkflowID: accepted.WorkflowID, Action: action, SHA256: accepted.SHA256})
	return api.UploadResponse{Deployment: *accepted, BuildLog: buildLog, PreviewPassword: password}, nil
}

// newPreviewPassword returns a random preview password (160 bits, base32) and
// its SHA-256. A fast hash is enough for a random secret of this size: there
// is nothing to guess from a dictionary.
func newPreviewPassword() (string, []byte, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("generate preview password: %w", err)
	}
	pw := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	sum := sha256.Sum256([]byte(pw))
	return pw, sum[:], nil
}

func bindingList(s abi.Settings) string {
	if len(s.Bindings) == 0 {
		return "none"
	}
	names := make([]string, 0, len(s.Bindings))
	for _, b := range abi.Bindings {
		if _, ok := s.Bindings[b]; ok {
			names = append(names, string(b))
		}
	}
	return strings.Join(names, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
