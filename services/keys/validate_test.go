package keys_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	h.createEnv("EXISTING", "v", false)
	h.createEnv("SECRET", "s3cr3t", true)
	tk := h.transport.PublicKey().Bytes()
	long := strings.Repeat("A", api.MaxKeyLen+1)
	big := strings.Repeat("x", api.MaxValueBytes+1)

	type tc struct {
		name     string
		call     func() error
		code     natsrpc.Code
		fragment string
	}
	createEnv := func(r api.CreateEnvRequest) func() error {
		return func() error {
			_, err := call[api.CreateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvCreate, r)
			return err
		}
	}
	updateEnv := func(r api.UpdateEnvRequest) func() error {
		return func() error {
			_, err := call[api.UpdateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvUpdate, r)
			return err
		}
	}
	createKey := func(wf string) func() error {
		return func() error {
			_, err := call[api.CreateWorkflowKeyRequest, api.CreateWorkflowKeyResponse](t, h.nc, api.SubjectWorkflowKeyCreate,
				api.CreateWorkflowKeyRequest{Env: env, WorkflowID: wf})
			return err
		}
	}
	for _, c := range []tc{
		{"missing env", createEnv(api.CreateEnvRequest{Key: "A", Value: "v"}), natsrpc.CodeInvalidArgument, "environment name is required"},
		{"bad env", createEnv(api.CreateEnvRequest{Env: "Prod!", Key: "A", Value: "v"}), natsrpc.CodeInvalidArgument, `environment name "Prod!" is invalid`},
		{"missing name", createEnv(api.CreateEnvRequest{Env: env, Value: "v"}), natsrpc.CodeInvalidArgument, "variable name is required"},
		{"name starts with digit", createEnv(api.CreateEnvRequest{Env: env, Key: "1ABC", Value: "v"}), natsrpc.CodeInvalidArgument, `variable name "1ABC" is invalid`},
		{"name with dash", createEnv(api.CreateEnvRequest{Env: env, Key: "API-KEY", Value: "v"}), natsrpc.CodeInvalidArgument, `variable name "API-KEY" is invalid`},
		{"name too long", createEnv(api.CreateEnvRequest{Env: env, Key: long, Value: "v"}), natsrpc.CodeInvalidArgument, "129 characters long; the limit is 128"},
		{"value too big", createEnv(api.CreateEnvRequest{Env: env, Key: "BIG", Value: big, IsSecret: true}), natsrpc.CodeInvalidArgument, "variable BIG is 16385 bytes; the limit is 16384 bytes"},
		{"update value too big", updateEnv(api.UpdateEnvRequest{Env: env, Key: "EXISTING", Value: &big}), natsrpc.CodeInvalidArgument, "16385 bytes; the limit is 16384 bytes"},
		{"value with NUL", createEnv(api.CreateEnvRequest{Env: env, Key: "NUL", Value: "a\x00b"}), natsrpc.CodeInvalidArgument, "variable NUL contains a NUL character"},
		{"create existing", createEnv(api.CreateEnvRequest{Env: env, Key: "EXISTING", Value: "v"}), natsrpc.CodeConflict, "variable EXISTING already exists"},
		{"update missing", updateEnv(api.UpdateEnvRequest{Env: env, Key: "NOPE", Value: ptr("v")}), natsrpc.CodeNotFound, "variable NOPE does not exist in environment production"},
		{"update nothing", updateEnv(api.UpdateEnvRequest{Env: env, Key: "EXISTING"}), natsrpc.CodeInvalidArgument, "changes nothing"},
		{"secret to plain", updateEnv(api.UpdateEnvRequest{Env: env, Key: "SECRET", IsSecret: ptr(false)}), natsrpc.CodeFailedPrecondition, "cannot be made non-secret"},
		{"get missing", func() error {
			_, err := call[api.EnvKeyRequest, api.EnvVar](t, h.nc, api.SubjectEnvGet, api.EnvKeyRequest{Env: env, Key: "NOPE"})
			return err
		}, natsrpc.CodeNotFound, "variable NOPE does not exist"},
		{"delete missing", func() error {
			_, err := call[api.EnvKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectEnvDelete, api.EnvKeyRequest{Env: env, Key: "NOPE"})
			return err
		}, natsrpc.CodeNotFound, "variable NOPE does not exist"},
		{"list bad env", func() error {
			_, err := call[api.ListEnvRequest, api.ListEnvResponse](t, h.nc, api.SubjectEnvList, api.ListEnvRequest{Env: "a b"})
			return err
		}, natsrpc.CodeInvalidArgument, "environment name"},
		{"resolve short transport key", func() error {
			_, err := call[api.ResolveEnvRequest, api.ResolveEnvResponse](t, h.nc, api.SubjectEnvResolve,
				api.ResolveEnvRequest{Env: env, Key: "EXISTING", TransportKey: tk[:31]})
			return err
		}, natsrpc.CodeInvalidArgument, "transport key is 31 bytes; an X25519 public key is 32 bytes"},
		{"resolve without transport key", func() error {
			_, err := call[api.ResolveEnvRequest, api.ResolveEnvResponse](t, h.nc, api.SubjectEnvResolve,
				api.ResolveEnvRequest{Env: env, Key: "EXISTING"})
			return err
		}, natsrpc.CodeInvalidArgument, "transport key is 0 bytes"},
		{"resolve bad name", func() error {
			_, err := call[api.ResolveEnvRequest, api.ResolveEnvResponse](t, h.nc, api.SubjectEnvResolve,
				api.ResolveEnvRequest{Env: env, Key: "no spaces", TransportKey: tk})
			return err
		}, natsrpc.CodeInvalidArgument, "variable name"},
		{"workflow id empty", createKey(""), natsrpc.CodeInvalidArgument, "workflow id is required"},
		{"workflow id too long", createKey(strings.Repeat("w", 129)), natsrpc.CodeInvalidArgument, "workflow id is 129 bytes long; the limit is 128"},
		{"workflow id with space", createKey("my workflow"), natsrpc.CodeInvalidArgument, "must not contain white space or control characters"},
		{"workflow id with tab", createKey("wf\tx"), natsrpc.CodeInvalidArgument, "must not contain white space"},
		{"workflow id with control", createKey("wf\x01x"), natsrpc.CodeInvalidArgument, "control characters"},
		{"workflow id with NBSP", createKey("wf\u00a0x"), natsrpc.CodeInvalidArgument, "white space"},
		{"workflow key bad env", func() error {
			_, err := call[api.CreateWorkflowKeyRequest, api.CreateWorkflowKeyResponse](t, h.nc, api.SubjectWorkflowKeyCreate,
				api.CreateWorkflowKeyRequest{Env: "", WorkflowID: "wf"})
			return err
		}, natsrpc.CodeInvalidArgument, "environment name is required"},
		{"list keys bad workflow", func() error {
			_, err := call[api.ListWorkflowKeysRequest, api.ListWorkflowKeysResponse](t, h.nc, api.SubjectWorkflowKeyList,
				api.ListWorkflowKeysRequest{Env: env})
			return err
		}, natsrpc.CodeInvalidArgument, "workflow id is required"},
		{"activate without key id", func() error {
			_, err := call[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyActivate, api.WorkflowKeyRequest{Env: env})
			return err
		}, natsrpc.CodeInvalidArgument, "encryption key id (keyId) is required"},
		{"active short transport key", func() error {
			_, err := call[api.ActiveKeyRequest, api.ActiveKeyResponse](t, h.nc, api.SubjectWorkflowKeyActive,
				api.ActiveKeyRequest{Env: env, WorkflowID: "wf", TransportKey: []byte("short")})
			return err
		}, natsrpc.CodeInvalidArgument, "transport key is 5 bytes"},
		{"malformed JSON", func() error {
			_, err := natsrpc.CallRaw(context.Background(), h.nc, api.SubjectEnvCreate, []byte(`{"env":`))
			return err
		}, natsrpc.CodeInvalidArgument, "not valid JSON"},
	} {
		t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), c.code, c.fragment) })
	}

	// A value too big is refused without the value in the message.
	_, err := call[api.CreateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvCreate, api.CreateEnvRequest{Env: env, Key: "BIG", Value: big})
	if err == nil || strings.Contains(err.Error(), "xxxxxxxx") {
		t.Fatalf("big value: %v", err)
	}

	// Failures are counted by outcome.
	count := func(op, outcome string) float64 {
		t.Helper()
		mfs, err := h.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "gatehouse_keys_operations_total" {
				continue
			}
			for _, m := range mf.Metric {
				labels := map[string]string{}
				for _, l := range m.Label {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["op"] == op && labels["outcome"] == outcome {
					return m.Counter.GetValue()
				}
			}
		}
		return 0
	}
	if got := count("env_create", "ok"); got != 2 {
		t.Fatalf("env_create ok = %v, want 2", got)
	}
	if got := count("env_create", "conflict"); got != 1 {
		t.Fatalf("env_create conflict = %v, want 1", got)
	}
	if got := count("workflow_key_create", "invalid_argument"); got != 7 {
		t.Fatalf("workflow_key_create invalid_argument = %v, want 7", got)
	}
	if n, err := testutil.GatherAndCount(h.reg, "gatehouse_keys_operations_total"); err != nil || n == 0 {
		t.Fatal("no operations counted")
	}
}

func TestVariableLimitPerEnvironment(t *testing.T) {
	h := newHarness(t)
	if _, err := h.pool.Exec(context.Background(), `INSERT INTO keys.env_vars (id, env, key, is_secret, value)
		SELECT 'env_fill' || g, $1, 'VAR_' || g, false, 'v' FROM generate_series(1, $2::int) g`, env, api.MaxVarsPerEnv-1); err != nil {
		t.Fatal(err)
	}
	h.createEnv("LAST_ONE", "fits", true)
	_, err := call[api.CreateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvCreate,
		api.CreateEnvRequest{Env: env, Key: "ONE_TOO_MANY", Value: "v"})
	wantCode(t, err, natsrpc.CodeFailedPrecondition, "environment production already has 500 variables, the limit")
	// Other environments are not affected.
	must[api.CreateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvCreate, api.CreateEnvRequest{Env: "staging", Key: "ONE_TOO_MANY", Value: "v"})
}
