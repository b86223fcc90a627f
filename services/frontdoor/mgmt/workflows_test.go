package mgmt_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

func identityUser(email string) identity.NewUser {
	return identity.NewUser{Env: defaultEnv, Email: email}
}

// upload posts module as a new deployment.
func (h *harness) upload(t *testing.T, env, tok string, module []byte, fields ...string) answer {
	t.Helper()
	body, ctype := multipartBody(t, module, fields...)
	return h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments", json: body, ctype: ctype})
}

func testDeployments(t *testing.T, h *harness) {
	const env = "deploys"
	h.env(env)
	tok := h.token(t, env, mgmt.ScopeReadWorkflows, mgmt.ScopeWriteWorkflows, mgmt.ScopeReadLogs)
	module := wasmbuild.ForTest(t, "testdata/guests/hello")

	a := h.upload(t, env, tok, module)
	want(t, a, http.StatusCreated, "")
	var first dapi.UploadResponse
	a.decode(t, &first)
	if first.Deployment.Status != dapi.StatusLive || first.PreviewPassword == "" || first.Deployment.Source != "hello.wasm" ||
		first.Deployment.WorkflowID != "mgmtHello" || len(first.BuildLog) == 0 {
		t.Fatalf("upload %+v", first)
	}
	a = h.upload(t, env, tok, module, "live", "false", "source", "ci build 42")
	want(t, a, http.StatusCreated, "")
	var second dapi.UploadResponse
	a.decode(t, &second)
	if second.Deployment.Status == dapi.StatusLive || second.Deployment.Source != "ci build 42" {
		t.Fatalf("upload with live=false %+v", second.Deployment)
	}
	// A module that does not validate makes a Failed deployment.
	a = h.upload(t, env, tok, []byte("\x00asm\x01\x00\x00\x00"))
	want(t, a, http.StatusCreated, "")
	var failed dapi.UploadResponse
	a.decode(t, &failed)
	if failed.Deployment.Status != dapi.StatusFailed || failed.Deployment.Error == "" || failed.PreviewPassword != "" {
		t.Fatalf("invalid module %+v", failed)
	}

	var deps dapi.ListResponse
	h.do(t, call{env: env, token: tok, method: "GET", path: "/deployments?limit=10"}).decode(t, &deps)
	if len(deps.Deployments) != 3 || deps.Deployments[0].ID != failed.Deployment.ID {
		t.Fatalf("list %+v", deps)
	}
	h.do(t, call{env: env, token: tok, method: "GET", path: "/deployments?workflowId=mgmtHello&trigger=" + url.QueryEscape("user:post_authentication")}).decode(t, &deps)
	if len(deps.Deployments) != 2 {
		t.Fatalf("filtered list %+v", deps)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "GET", path: "/deployments?trigger=user:nope", offSpec: true}), http.StatusBadRequest, mgmt.CodeInvalidRequest)
	var d dapi.Deployment
	h.do(t, call{env: env, token: tok, method: "GET", path: "/deployments/" + second.Deployment.ID}).decode(t, &d)
	if d.ID != second.Deployment.ID || d.SHA256 != dapi.Digest(module) {
		t.Fatalf("get %+v", d)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "GET", path: "/deployments/dep_nope"}), http.StatusNotFound, mgmt.CodeNotFound)

	// Switch the live deployment, then stop it.
	a = h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments/" + second.Deployment.ID + "/live"})
	want(t, a, http.StatusOK, "")
	a.decode(t, &d)
	if d.Status != dapi.StatusLive {
		t.Fatalf("make live %+v", d)
	}
	var wf dapi.Workflow
	h.do(t, call{env: env, token: tok, method: "GET", path: "/workflows/mgmtHello"}).decode(t, &wf)
	if wf.LiveDeploymentID != second.Deployment.ID || wf.Trigger != "user:post_authentication" {
		t.Fatalf("workflow %+v", wf)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments/" + failed.Deployment.ID + "/live"}),
		http.StatusConflict, mgmt.CodeFailedPrecondition)
	a = h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments/" + second.Deployment.ID + "/deactivate"})
	want(t, a, http.StatusOK, "")
	a.decode(t, &d)
	if d.Status != dapi.StatusDeactivated {
		t.Fatalf("deactivate %+v", d)
	}
	// A new preview password replaces the upload's; a failed deployment
	// has none.
	var pp dapi.PreviewPasswordResponse
	h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments/" + second.Deployment.ID + "/preview_password"}).decode(t, &pp)
	if pp.PreviewPassword == "" || pp.PreviewPassword == second.PreviewPassword || pp.Deployment.ID != second.Deployment.ID {
		t.Fatalf("new preview password %+v", pp)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments/" + failed.Deployment.ID + "/preview_password"}),
		http.StatusConflict, mgmt.CodeFailedPrecondition)
	want(t, h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments/dep_nope/preview_password"}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: "/deployments/" + first.Deployment.ID}), http.StatusNoContent, "")
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: "/deployments/" + first.Deployment.ID}), http.StatusNotFound, mgmt.CodeNotFound)

	// Workflow encryption keys.
	keys := "/workflows/mgmtHello/keys"
	a = h.do(t, call{env: env, token: tok, method: "POST", path: keys})
	want(t, a, http.StatusCreated, "")
	var k1, k2 kapi.CreateWorkflowKeyResponse
	a.decode(t, &k1)
	h.do(t, call{env: env, token: tok, method: "POST", path: keys}).decode(t, &k2)
	if !k1.Key.Active || k2.Key.Active || len(k1.Value) != 43 {
		t.Fatalf("keys %+v %+v", k1.Key, k2.Key)
	}
	var kl kapi.ListWorkflowKeysResponse
	h.do(t, call{env: env, token: tok, method: "GET", path: keys}).decode(t, &kl)
	if len(kl.Keys) != 2 {
		t.Fatalf("key list %+v", kl)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: "/workflow_keys/" + k1.Key.ID}), http.StatusConflict, mgmt.CodeFailedPrecondition)
	var k kapi.WorkflowKey
	h.do(t, call{env: env, token: tok, method: "POST", path: "/workflow_keys/" + k2.Key.ID + "/activate"}).decode(t, &k)
	if !k.Active {
		t.Fatalf("activate %+v", k)
	}
	h.do(t, call{env: env, token: tok, method: "POST", path: "/workflow_keys/" + k2.Key.ID + "/deactivate"}).decode(t, &k)
	if k.Active {
		t.Fatalf("deactivate %+v", k)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: "/workflow_keys/" + k1.Key.ID}), http.StatusNoContent, "")
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: "/workflow_keys/" + k1.Key.ID}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{env: env, token: tok, method: "POST", path: "/workflow_keys/wfk_nope/activate"}), http.StatusNotFound, mgmt.CodeNotFound)

	// Build and sync logs of the uploads, page by page.
	var recs []lapi.Record
	deadline := time.Now().Add(15 * time.Second)
	for {
		var page lapi.QueryResponse
		h.do(t, call{env: env, token: tok, method: "GET", path: "/logs?kind=build&ascending=true&limit=500&workflowId=mgmtHello"}).decode(t, &page)
		recs = page.Records
		if len(recs) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(recs) == 0 {
		t.Fatal("no build logs")
	}
	var page1, page2 lapi.QueryResponse
	h.do(t, call{env: env, token: tok, method: "GET", path: "/logs?kind=sync&limit=1"}).decode(t, &page1)
	if len(page1.Records) != 1 || page1.NextCursor == "" {
		t.Fatalf("first page %+v", page1)
	}
	h.do(t, call{env: env, token: tok, method: "GET", path: "/logs?kind=sync&limit=1&cursor=" + url.QueryEscape(page1.NextCursor)}).decode(t, &page2)
	if len(page2.Records) != 1 || page2.Records[0].ID == page1.Records[0].ID {
		t.Fatalf("second page %+v", page2)
	}
	since := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	var none lapi.QueryResponse
	h.do(t, call{env: env, token: tok, method: "GET", path: "/logs?kind=runtime&outcome=error&since=" + since}).decode(t, &none)
	if len(none.Records) != 0 {
		t.Fatalf("records from the future %+v", none)
	}
	for _, q := range []string{"kind=audit", "since=yesterday", "outcome=meh", "limit=0", "ascending=maybe"} {
		want(t, h.do(t, call{env: env, token: tok, method: "GET", path: "/logs?" + q, offSpec: true}), http.StatusBadRequest, mgmt.CodeInvalidRequest)
	}

	// Deleting the workflow removes its deployments.
	var wfs dapi.WorkflowsResponse
	h.do(t, call{env: env, token: tok, method: "GET", path: "/workflows"}).decode(t, &wfs)
	if len(wfs.Workflows) != 1 {
		t.Fatalf("workflows %+v", wfs)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: "/workflows/mgmtHello"}), http.StatusNoContent, "")
	want(t, h.do(t, call{env: env, token: tok, method: "GET", path: "/workflows/mgmtHello"}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: "/workflows/mgmtHello"}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{env: env, token: tok, method: "GET", path: "/deployments/" + second.Deployment.ID}), http.StatusNotFound, mgmt.CodeNotFound)
}

func testEnvironmentVariables(t *testing.T, h *harness) {
	const env = "envvars"
	h.env(env)
	tok := h.token(t, env, mgmt.ScopeReadEnvironmentVariables, mgmt.ScopeWriteEnvironmentVariables)
	const secret = "sk_live_never_shown_123"
	path := "/environment_variables"

	a := h.do(t, call{env: env, token: tok, method: "POST", path: path, json: map[string]any{"key": "GREETING", "value": "hello"}})
	want(t, a, http.StatusCreated, "")
	a = h.do(t, call{env: env, token: tok, method: "POST", path: path, json: map[string]any{"key": "API_KEY", "value": secret, "isSecret": true}})
	want(t, a, http.StatusCreated, "")
	var v kapi.EnvVar
	a.decode(t, &v)
	if !v.IsSecret || v.Value != "" {
		t.Fatalf("created secret %+v", v)
	}
	want(t, h.do(t, call{env: env, token: tok, method: "POST", path: path, json: map[string]any{"key": "GREETING", "value": "again"}}),
		http.StatusConflict, mgmt.CodeConflict)
	want(t, h.do(t, call{env: env, token: tok, method: "POST", path: path, json: map[string]any{"key": "1BAD", "value": "x"}, offSpec: true}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)

	var list kapi.ListEnvResponse
	a = h.do(t, call{env: env, token: tok, method: "GET", path: path})
	a.decode(t, &list)
	if len(list.Variables) != 2 || list.Variables[0].Key != "API_KEY" || list.Variables[0].Value != "" || list.Variables[1].Value != "hello" {
		t.Fatalf("list %+v", list)
	}
	h.do(t, call{env: env, token: tok, method: "GET", path: path + "/GREETING"}).decode(t, &v)
	if v.Value != "hello" {
		t.Fatalf("get %+v", v)
	}
	a = h.do(t, call{env: env, token: tok, method: "PATCH", path: path + "/API_KEY", json: map[string]any{"value": secret + "_rotated"}})
	want(t, a, http.StatusOK, "")
	want(t, h.do(t, call{env: env, token: tok, method: "PATCH", path: path + "/API_KEY", json: map[string]any{"isSecret": false}}),
		http.StatusConflict, mgmt.CodeFailedPrecondition)
	want(t, h.do(t, call{env: env, token: tok, method: "PATCH", path: path + "/API_KEY", json: map[string]any{}, offSpec: true}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)
	a = h.do(t, call{env: env, token: tok, method: "PATCH", path: path + "/GREETING", json: map[string]any{"value": "hi", "isSecret": true}})
	want(t, a, http.StatusOK, "")
	v = kapi.EnvVar{}
	a.decode(t, &v)
	if v.Value != "" || !v.IsSecret {
		t.Fatalf("made secret %+v", v)
	}
	a = h.do(t, call{env: env, token: tok, method: "GET", path: path + "/API_KEY"})
	for _, s := range []string{secret, "hi\""} {
		if contains(a.body, s) {
			t.Fatalf("a secret value was returned: %s", a.body)
		}
	}
	want(t, h.do(t, call{env: env, token: tok, method: "GET", path: path + "/NOPE"}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: path + "/GREETING"}), http.StatusNoContent, "")
	want(t, h.do(t, call{env: env, token: tok, method: "DELETE", path: path + "/GREETING"}), http.StatusNotFound, mgmt.CodeNotFound)
}
