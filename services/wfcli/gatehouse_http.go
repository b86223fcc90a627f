package wfcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
)

// maxAnswerBytes bounds an answer of the management API read into memory.
const maxAnswerBytes = 32 << 20

// logPollInterval is how often logs --follow asks the management API for
// new records.
var logPollInterval = time.Second

// logPollOverlap is how far back each poll looks again: a record is stored
// a moment after its time, so the newest time seen is not a safe start.
const logPollOverlap = 30 * time.Second

// apiError is an error answer of the management API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// httpGatehouse reaches a Gatehouse through its management API.
type httpGatehouse struct {
	client *http.Client
	api    string // the environment's API base URL: …/api/v1
	token  string
}

func (g *httpGatehouse) Where() string { return g.api }

func (g *httpGatehouse) Close() {}

// do sends one request with the access token and decodes a JSON answer
// into out (unless nil). Error answers become *apiError.
func (g *httpGatehouse) do(ctx context.Context, timeout time.Duration, method, path, ctype string, body io.Reader, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, g.api+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+g.token)
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no answer from %s within %s: %w", g.api, timeout, err)
		}
		return fmt.Errorf("cannot reach Gatehouse at %s: %w", g.api, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return answerError(resp, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the answer of %s %s is not what the management API sends: %w", method, path, err)
	}
	return nil
}

// answerError reads an error answer.
func answerError(resp *http.Response, data []byte) error {
	var body struct {
		Errors []struct{ Code, Message string }
	}
	if json.Unmarshal(data, &body) == nil && len(body.Errors) > 0 {
		e := body.Errors[0]
		return &apiError{Status: resp.StatusCode, Code: e.Code, Message: e.Message}
	}
	text := strings.TrimSpace(string(data))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s answers 404 %q: is the environment right, and is this the URL of Gatehouse?", resp.Request.URL.Redacted(), text)
	}
	return fmt.Errorf("%s answers %s: %s", resp.Request.URL.Redacted(), resp.Status, text)
}

func (g *httpGatehouse) getJSON(ctx context.Context, path string, out any) error {
	return g.do(ctx, requestTimeout, http.MethodGet, path, "", nil, out)
}

func (g *httpGatehouse) sendJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(data), "application/json"
	}
	return g.do(ctx, requestTimeout, method, path, ctype, body, out)
}

func (g *httpGatehouse) Workflows(ctx context.Context) ([]dapi.Workflow, error) {
	var resp dapi.WorkflowsResponse
	err := g.getJSON(ctx, "/workflows", &resp)
	return resp.Workflows, err
}

func (g *httpGatehouse) Deployments(ctx context.Context, limit int) ([]dapi.Deployment, error) {
	var resp dapi.ListResponse
	err := g.getJSON(ctx, "/deployments?limit="+strconv.Itoa(limit), &resp)
	return resp.Deployments, err
}

func (g *httpGatehouse) Upload(ctx context.Context, wasm []byte, source string, live *bool) (dapi.UploadResponse, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("source", source); err != nil {
		return dapi.UploadResponse{}, err
	}
	if live != nil {
		if err := mw.WriteField("live", strconv.FormatBool(*live)); err != nil {
			return dapi.UploadResponse{}, err
		}
	}
	fw, err := mw.CreateFormFile("module", "module.wasm")
	if err != nil {
		return dapi.UploadResponse{}, err
	}
	if _, err := fw.Write(wasm); err != nil {
		return dapi.UploadResponse{}, err
	}
	if err := mw.Close(); err != nil {
		return dapi.UploadResponse{}, err
	}
	var resp dapi.UploadResponse
	err = g.do(ctx, uploadTimeout, http.MethodPost, "/deployments", mw.FormDataContentType(), &b, &resp)
	return resp, err
}

func (g *httpGatehouse) MakeLive(ctx context.Context, id string) (dapi.Deployment, error) {
	var d dapi.Deployment
	err := g.sendJSON(ctx, http.MethodPost, "/deployments/"+url.PathEscape(id)+"/live", nil, &d)
	return d, err
}

func (g *httpGatehouse) Deactivate(ctx context.Context, id string) (dapi.Deployment, error) {
	var d dapi.Deployment
	err := g.sendJSON(ctx, http.MethodPost, "/deployments/"+url.PathEscape(id)+"/deactivate", nil, &d)
	return d, err
}

func (g *httpGatehouse) DeleteDeployment(ctx context.Context, id string) error {
	return g.sendJSON(ctx, http.MethodDelete, "/deployments/"+url.PathEscape(id), nil, nil)
}

func (g *httpGatehouse) DeleteWorkflow(ctx context.Context, id string) error {
	return g.sendJSON(ctx, http.MethodDelete, "/workflows/"+url.PathEscape(id), nil, nil)
}

func (g *httpGatehouse) EnvList(ctx context.Context) ([]kapi.EnvVar, error) {
	var resp kapi.ListEnvResponse
	err := g.getJSON(ctx, "/environment_variables", &resp)
	return resp.Variables, err
}

func (g *httpGatehouse) EnvCreate(ctx context.Context, key, value string, secret bool) error {
	return g.sendJSON(ctx, http.MethodPost, "/environment_variables",
		map[string]any{"key": key, "value": value, "isSecret": secret}, nil)
}

func (g *httpGatehouse) EnvUpdate(ctx context.Context, key, value string, secret bool) error {
	return g.sendJSON(ctx, http.MethodPatch, "/environment_variables/"+url.PathEscape(key),
		map[string]any{"value": value, "isSecret": secret}, nil)
}

func (g *httpGatehouse) EnvDelete(ctx context.Context, key string) error {
	return g.sendJSON(ctx, http.MethodDelete, "/environment_variables/"+url.PathEscape(key), nil, nil)
}

func (g *httpGatehouse) KeyCreate(ctx context.Context, workflowID string) (kapi.CreateWorkflowKeyResponse, error) {
	var resp kapi.CreateWorkflowKeyResponse
	err := g.sendJSON(ctx, http.MethodPost, "/workflows/"+url.PathEscape(workflowID)+"/keys", nil, &resp)
	return resp, err
}

func (g *httpGatehouse) KeyList(ctx context.Context, workflowID string) ([]kapi.WorkflowKey, error) {
	var resp kapi.ListWorkflowKeysResponse
	err := g.getJSON(ctx, "/workflows/"+url.PathEscape(workflowID)+"/keys", &resp)
	return resp.Keys, err
}

func (g *httpGatehouse) KeyActivate(ctx context.Context, id string) (kapi.WorkflowKey, error) {
	var k kapi.WorkflowKey
	err := g.sendJSON(ctx, http.MethodPost, "/workflow_keys/"+url.PathEscape(id)+"/activate", nil, &k)
	return k, err
}

func (g *httpGatehouse) KeyDeactivate(ctx context.Context, id string) (kapi.WorkflowKey, error) {
	var k kapi.WorkflowKey
	err := g.sendJSON(ctx, http.MethodPost, "/workflow_keys/"+url.PathEscape(id)+"/deactivate", nil, &k)
	return k, err
}

func (g *httpGatehouse) KeyDelete(ctx context.Context, id string) error {
	return g.sendJSON(ctx, http.MethodDelete, "/workflow_keys/"+url.PathEscape(id), nil, nil)
}

// logsQuery encodes the filters of req as query parameters.
func logsQueryString(req lapi.QueryRequest) string {
	q := url.Values{"kind": {string(req.Kind)}}
	for name, v := range map[string]string{"workflowId": req.WorkflowID, "deploymentId": req.DeploymentID,
		"executionId": req.ExecutionID, "outcome": string(req.Outcome), "cursor": req.Cursor} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if !req.Since.IsZero() {
		q.Set("since", req.Since.UTC().Format(time.RFC3339Nano))
	}
	if !req.Until.IsZero() {
		q.Set("until", req.Until.UTC().Format(time.RFC3339Nano))
	}
	if req.Ascending {
		q.Set("ascending", "true")
	}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	return q.Encode()
}

func (g *httpGatehouse) Logs(ctx context.Context, req lapi.QueryRequest) (lapi.QueryResponse, error) {
	var resp lapi.QueryResponse
	err := g.getJSON(ctx, "/logs?"+logsQueryString(req), &resp)
	return resp, err
}

// Follow polls the API for records from now on (the management API has no
// push): each poll asks, oldest first, for what was stored since a little
// before the newest record seen.
func (g *httpGatehouse) Follow(_ context.Context, req lapi.QueryRequest, _ func(string)) (logStream, error) {
	from := time.Now().Add(-logPollOverlap)
	if req.Since.After(from) {
		from = req.Since
	}
	return &httpLogStream{g: g, req: req, from: from}, nil
}

// httpLogStream polls GET /logs.
type httpLogStream struct {
	g    *httpGatehouse
	req  lapi.QueryRequest
	from time.Time
	poll bool // false until the first Next, which answers at once
}

func (s *httpLogStream) Next(ctx context.Context) ([]lapi.Record, error) {
	if s.poll {
		t := time.NewTimer(logPollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	s.poll = true
	req := s.req
	req.Since, req.Until, req.Ascending, req.Limit, req.Cursor = s.from, time.Time{}, true, lapi.MaxQueryLimit, ""
	var out []lapi.Record
	for page := 0; page < 20; page++ {
		resp, err := s.g.Logs(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		out = append(out, resp.Records...)
		if resp.NextCursor == "" {
			break
		}
		req.Cursor = resp.NextCursor
	}
	newest := s.from.Add(logPollOverlap)
	for _, r := range out {
		if r.Time.After(newest) {
			newest = r.Time
		}
	}
	s.from = newest.Add(-logPollOverlap)
	return out, nil
}

func (s *httpLogStream) Close() {}

// errTokenAnswer is returned when a token endpoint answers in a way OAuth
// does not describe.
var errTokenAnswer = errors.New("the token endpoint's answer is not an OAuth token response")
