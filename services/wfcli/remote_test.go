package wfcli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

// startGatehouse runs the whole platform (embedded NATS, PostgreSQL,
// deployments and worker) and returns its NATS URL.
func startGatehouse(t *testing.T) string { return startPlatform(t).NATSURL() }

// startPlatform runs the whole platform, its HTTP listener on a loopback
// address that is also its issuer URL.
func startPlatform(t *testing.T) *platform.Platform {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cfg := platform.DefaultConfig()
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.NATSPort = -1
	cfg.HTTPAddr = addr
	cfg.IssuerURL = "http://" + addr
	cfg.DataDir = t.TempDir()
	p, err := platform.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start Gatehouse: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stop Gatehouse: %v", err)
		}
	})
	return p
}

var deploymentLine = regexp.MustCompile(`(?m)^deployment: (dep_\S+)$`)

func deployedID(t *testing.T, out string) string {
	t.Helper()
	m := deploymentLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("deploy output names no deployment:\n%s", out)
	}
	return m[1]
}

// fireUntil fires the trigger until the output contains want: the worker
// learns about a change asynchronously.
func fireUntil(t *testing.T, code int, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, out, errOut := wf(t, "", args...)
		if c == code && strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("gatehouse wf %s: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), c, code, want, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestDeployListLiveDeactivateFire(t *testing.T) { bothModes(t, testDeployListLiveDeactivateFire) }

func testDeployListLiveDeactivateFire(t *testing.T, s *session) {
	wasm := mfaModule(t)
	event := writeFile(t, t.TempDir(), "event.json", sampleEvents["user:pre_mfa"])
	remote := s.remote

	out, _ := mustWF(t, 0, append([]string{"deploy", wasm}, remote...)...)
	wantContains(t, "deploy output", out, "build log:", "module compiled", "status:     Live",
		"workflow:   premfa (user:pre_mfa)", "preview password: ", "shown once")
	first := deployedID(t, out)

	out, _ = mustWF(t, 0, append([]string{"list"}, remote...)...)
	wantContains(t, "list output", out, "WORKFLOW", "premfa", "user:pre_mfa", "Live", first, "premfa.wasm")

	out = fireUntil(t, 0, "MFA policy: required", append([]string{"fire", "user:pre_mfa", "--event", event}, remote...)...)
	wantContains(t, "fire output", out, "fired user:pre_mfa in environment production", "workflow premfa ran", first)

	// A second upload that is not made live, then switched live and off.
	out, _ = mustWF(t, 0, append([]string{"deploy", wasm, "-no-live"}, remote...)...)
	second := deployedID(t, out)
	if second == first {
		t.Fatalf("the second upload reused deployment %s", first)
	}
	if strings.Contains(out, "status:     Live") {
		t.Fatalf("--no-live deployment is live:\n%s", out)
	}
	wantContains(t, "deploy --no-live output", out, "gatehouse wf live "+second)

	out, _ = mustWF(t, 0, append([]string{"live", second}, remote...)...)
	wantContains(t, "live output", out, "deployment "+second, "is now Live")
	out, _ = mustWF(t, 0, append([]string{"deactivate", second}, remote...)...)
	wantContains(t, "deactivate output", out, "deployment "+second, "is deactivated")
	fireUntil(t, 0, "no workflow is live for this trigger", append([]string{"fire", "user:pre_mfa", "--event", event}, remote...)...)

	out, _ = mustWF(t, 0, append([]string{"delete", first}, remote...)...)
	wantContains(t, "delete output", out, "deployment "+first+" deleted")
	out, _ = mustWF(t, 0, append([]string{"list", "--json"}, remote...)...)
	if strings.Contains(out, first) {
		t.Errorf("deleted deployment %s is still listed:\n%s", first, out)
	}

	_, errOut := mustWF(t, 1, append([]string{"live", "dep_doesnotexist"}, remote...)...)
	wantContains(t, "stderr", errOut, "deployment dep_doesnotexist", "not_found")

	// Deleting the workflow removes every deployment and frees the trigger.
	out, _ = mustWF(t, 0, append([]string{"list", "--json"}, remote...)...)
	var listed struct {
		Workflows []struct{ ID string } `json:"workflows"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed.Workflows) != 1 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	wfID := listed.Workflows[0].ID
	out, _ = mustWF(t, 0, append([]string{"delete-workflow", wfID}, remote...)...)
	wantContains(t, "delete-workflow output", out, "workflow "+wfID+" deleted")
	out, _ = mustWF(t, 0, append([]string{"list", "--json"}, remote...)...)
	if strings.Contains(out, second) || strings.Contains(out, wfID) {
		t.Errorf("deleted workflow still listed:\n%s", out)
	}
	_, errOut = mustWF(t, 1, append([]string{"delete-workflow", wfID}, remote...)...)
	wantContains(t, "stderr", errOut, "not_found")
	_, errOut = mustWF(t, 2, append([]string{"delete-workflow"}, remote...)...)
	wantContains(t, "stderr", errOut, "workflow id is required")
}

func TestDeployOfAnInvalidModuleFails(t *testing.T) {
	nats := startGatehouse(t)
	bad := writeFile(t, t.TempDir(), "bad.wasm", "\x00asm\x01\x00\x00\x00")
	out, _ := mustWF(t, 1, "deploy", bad, "--nats-url", nats)
	wantContains(t, "deploy output", out, "status:     Failed", "error:")
	if strings.Contains(out, "preview password") {
		t.Errorf("a failed deployment got a preview password:\n%s", out)
	}
}

func TestRemoteCommandsExplainAnUnreachableGatehouse(t *testing.T) {
	url := "nats://127.0.0.1:1"
	for _, args := range [][]string{
		{"list", "--nats-url", url},
		{"live", "dep_x", "--nats-url", url},
		{"logs", "--nats-url", url},
		{"logs", "--follow", "--nats-url", url},
		{"env", "list", "--nats-url", url},
		{"env", "set", "K", "v", "--nats-url", url},
		{"keys", "list", "premfa", "--nats-url", url},
		{"fire", "user:pre_mfa", "--event", writeFile(t, t.TempDir(), "e.json", `{}`), "--nats-url", url},
		{"deploy", mfaModule(t), "--nats-url", url},
	} {
		_, errOut := mustWF(t, 1, args...)
		wantContains(t, "stderr of "+strings.Join(args, " "), errOut, "cannot reach Gatehouse at "+url+": is `make run` (gatehouse serve) running?")
	}
	t.Setenv(envNATSURL, url)
	_, errOut := mustWF(t, 1, "list")
	wantContains(t, "stderr with $"+envNATSURL, errOut, "cannot reach Gatehouse at "+url)
}

func TestRemoteCommandsCheckArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"live"}, "deployment id is required"},
		{[]string{"fire", "user:nope", "--event", "x.json"}, `unknown trigger "user:nope"`},
		{[]string{"fire"}, "trigger is required"},
		{[]string{"fire", "user:pre_mfa"}, "--event is required"},
		{[]string{"list", "--environment", "Prod!"}, "environment name"},
		{[]string{"logs", "--kind", "audit"}, "--kind must be runtime, build or sync"},
	} {
		_, errOut := mustWF(t, 2, tc.args...)
		wantContains(t, "stderr of "+strings.Join(tc.args, " "), errOut, tc.want)
	}
}
