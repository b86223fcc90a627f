package mgmt_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

func testBadInput(t *testing.T, h *harness) {
	const env = "badinput"
	h.env(env)
	tok := h.token(t, env, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers, mgmt.ScopeReadWorkflows, mgmt.ScopeWriteWorkflows)
	countUsers := func() int {
		var l mgmt.UserList
		h.do(t, call{env: env, token: tok, method: "GET", path: "/users"}).decode(t, &l)
		return len(l.Users)
	}
	countDeployments := func() int {
		var l dapi.ListResponse
		h.do(t, call{env: env, token: tok, method: "GET", path: "/deployments"}).decode(t, &l)
		return len(l.Deployments)
	}
	users, deps := countUsers(), countDeployments()

	for _, c := range []struct {
		name   string
		body   string
		ctype  string
		status int
		code   string
		msg    string
		// specMisses: the description's validator does not notice what is
		// wrong (it reads the first JSON value only).
		specMisses bool
	}{
		{"malformed", `{"email": "a@example.com"`, "", 400, mgmt.CodeInvalidRequest, "truncated JSON", false},
		{"not JSON", `email=a@example.com`, "", 400, mgmt.CodeInvalidRequest, "not valid JSON", false},
		{"unknown field", `{"email": "a@example.com", "admin": true}`, "", 400, mgmt.CodeInvalidRequest, `unknown field "admin"`, false},
		{"wrong type", `{"email": 42}`, "", 400, mgmt.CodeInvalidRequest, "field email must be a string", false},
		{"array", `[]`, "", 400, mgmt.CodeInvalidRequest, "must be a JSON object", false},
		{"two objects", `{"email": "a@example.com"} {}`, "", 400, mgmt.CodeInvalidRequest, "after its JSON object", true},
		{"empty", ``, "", 400, mgmt.CodeInvalidRequest, "empty", false},
		{"oversized", `{"email": "a@example.com", "givenName": "` + strings.Repeat("a", 70<<10) + `"}`, "", 413, mgmt.CodePayloadTooLarge, "limit of 65536 bytes", false},
		{"form", `email=a@example.com`, "application/x-www-form-urlencoded", 415, mgmt.CodeUnsupportedMediaType, "must be JSON", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctype := c.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			a := h.do(t, call{env: env, token: tok, method: "POST", path: "/users", json: []byte(c.body), ctype: ctype, offSpec: !c.specMisses})
			want(t, a, c.status, c.code)
			if _, msg := a.errorCode(t); !strings.Contains(msg, c.msg) {
				t.Fatalf("message %q lacks %q", msg, c.msg)
			}
		})
	}

	module := wasmbuild.ForTest(t, "testdata/guests/hello")
	multi := func(module []byte, fields ...string) (string, []byte) {
		body, ctype := multipartBody(t, module, fields...)
		return ctype, body
	}
	ctype, good := multi(module)
	big := bytes.Repeat([]byte{0}, dapi.MaxArtifactBytes+1)
	for _, c := range []struct {
		name   string
		ctype  string
		body   []byte
		module []byte   // with fields, builds the body when body is nil
		fields []string // form fields
		status int
		code   string
		msg    string
		// specOK: the description allows the request (its size is not
		// described; its validator takes the last of repeated fields).
		specOK bool
	}{
		{name: "JSON instead of a form", ctype: "application/json", body: []byte(`{"module": "AGFzbQ=="}`), status: 415, code: mgmt.CodeUnsupportedMediaType, msg: "multipart/form-data"},
		{name: "no module", fields: []string{"source", "x"}, status: 400, code: mgmt.CodeInvalidRequest, msg: `no "module" file part`},
		{name: "unknown field", module: module, fields: []string{"env", "production"}, status: 400, code: mgmt.CodeInvalidRequest, msg: `unknown form field "env"`},
		{name: "bad live", module: module, fields: []string{"live", "sometimes"}, status: 400, code: mgmt.CodeInvalidRequest, msg: "live must be true or false"},
		{name: "repeated field", module: module, fields: []string{"source", "a", "source", "b"}, status: 400, code: mgmt.CodeInvalidRequest, msg: "repeated", specOK: true},
		{name: "truncated", ctype: ctype, body: good[:len(good)/2], status: 400, code: mgmt.CodeInvalidRequest, msg: "malformed"},
		{name: "oversized module", module: big, status: 413, code: mgmt.CodePayloadTooLarge, msg: "limit", specOK: true},
	} {
		t.Run("upload "+c.name, func(t *testing.T) {
			if c.body == nil {
				c.ctype, c.body = multi(c.module, c.fields...)
			}
			a := h.do(t, call{env: env, token: tok, method: "POST", path: "/deployments", json: c.body, ctype: c.ctype, offSpec: !c.specOK})
			want(t, a, c.status, c.code)
			if _, msg := a.errorCode(t); !strings.Contains(msg, c.msg) {
				t.Fatalf("message %q lacks %q", msg, c.msg)
			}
		})
	}

	// Nothing changed.
	if n := countUsers(); n != users {
		t.Errorf("refused requests changed the users: %d → %d", users, n)
	}
	if n := countDeployments(); n != deps {
		t.Errorf("refused uploads made deployments: %d → %d", deps, n)
	}
	// Unknown ids get a clear not_found.
	a := h.do(t, call{env: env, token: tok, method: "PATCH", path: "/users/kp_nope", json: map[string]any{"givenName": "x"}})
	want(t, a, http.StatusNotFound, mgmt.CodeNotFound)
	if _, msg := a.errorCode(t); !strings.Contains(msg, "kp_nope") {
		t.Fatalf("message %q does not name the user", msg)
	}
}
