package wfcli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

// httpGatehouse is a platform with a management client of the default
// environment.
type httpPlatform struct {
	p                *platform.Platform
	base             string
	ids              *identity.Store
	clientID, secret string
}

func startHTTPPlatform(t *testing.T) *httpPlatform {
	t.Helper()
	p := startPlatform(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgstore.Open(ctx, p.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ids, err := identity.NewStore(pool, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + p.HTTPAddr()
	id, secret, _, err := mgmt.EnsureCLIClient(ctx, ids, "production", base+"/api")
	if err != nil {
		t.Fatal(err)
	}
	return &httpPlatform{p: p, base: base, ids: ids, clientID: id, secret: secret}
}

// newHTTPSession runs the management commands over the management API,
// with the client secret in $GATEHOUSE_CLIENT_SECRET; fire (and the tests'
// own NATS use) still get --nats-url.
func newHTTPSession(t *testing.T) *session {
	hp := startHTTPPlatform(t)
	t.Setenv(envClientSecret, hp.secret)
	logPollInterval = 100 * time.Millisecond
	s := &session{t: t, http: true, remote: []string{"--nats-url", hp.p.NATSURL(), "--url", hp.base, "--client-id", hp.clientID}}
	t.Cleanup(func() { s.neverShown(hp.secret) })
	return s
}

// token gets an access token of the default environment's management API.
func (hp *httpPlatform) token(t *testing.T, clientID, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {hp.base + "/api"}}
	req, _ := http.NewRequest(http.MethodPost, hp.base+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	return tok.AccessToken
}

func TestHTTPModeCredentials(t *testing.T) {
	hp := startHTTPPlatform(t)
	dead := "nats://127.0.0.1:1" // nothing listens: the management commands must not need NATS
	api := []string{"--url", hp.base, "--nats-url", dead}

	// The client secret from the environment, never printed.
	t.Setenv(envClientSecret, hp.secret)
	out, _ := mustWF(t, 0, append([]string{"list", "--client-id", hp.clientID}, api...)...)
	wantContains(t, "list over HTTP", out, "no workflows in environment production yet")
	out, errOut := mustWF(t, 0, "list", "-h")
	if strings.Contains(out+errOut, hp.secret) {
		t.Fatalf("-h shows the client secret:\n%s", out)
	}
	// From $GATEHOUSE_URL and $GATEHOUSE_CLIENT_ID too.
	t.Setenv(envURL, hp.base)
	t.Setenv(envClientID, hp.clientID)
	mustWF(t, 0, "env", "list", "--nats-url", dead)
	t.Setenv(envURL, "")
	t.Setenv(envClientID, "")

	// A wrong secret: the token endpoint's refusal, without the secret.
	t.Setenv(envClientSecret, "")
	_, errOut = mustWF(t, 1, append([]string{"list", "--client-id", hp.clientID, "--client-secret", "wrong-secret-value"}, api...)...)
	wantContains(t, "stderr", errOut, "invalid_client", "check the client id and secret")
	if strings.Contains(errOut, "wrong-secret-value") {
		t.Fatalf("the secret was printed: %s", errOut)
	}

	// A token given as such; a bad one; one without the scope.
	tok := hp.token(t, hp.clientID, hp.secret)
	mustWF(t, 0, append([]string{"keys", "list", "premfa", "--token", tok}, api...)...)
	_, errOut = mustWF(t, 1, append([]string{"list", "--token", "not-a-token"}, api...)...)
	wantContains(t, "stderr", errOut, "unauthorized")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ro, roSecret, err := mgmt.CreateClient(ctx, hp.ids, "production", "Read workflows", hp.base+"/api", []string{mgmt.ScopeReadWorkflows})
	if err != nil {
		t.Fatal(err)
	}
	mustWF(t, 0, append([]string{"list", "--client-id", ro.ClientID, "--client-secret", roSecret}, api...)...)
	_, errOut = mustWF(t, 1, append([]string{"env", "set", "K", "v", "--client-id", ro.ClientID, "--client-secret", roSecret}, api...)...)
	wantContains(t, "stderr", errOut, "set K in production", "insufficient_scope", "write:environment_variables")

	// Another environment needs a client of its own.
	if _, err := hp.ids.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	_, errOut = mustWF(t, 1, append([]string{"env", "list", "--environment", "staging", "--client-id", hp.clientID, "--client-secret", hp.secret}, api...)...)
	wantContains(t, "stderr", errOut, "invalid_client", "belongs to this environment")
	stagingID, stagingSecret, _, err := mgmt.EnsureCLIClient(ctx, hp.ids, "staging", hp.base+"/e/staging/api")
	if err != nil {
		t.Fatal(err)
	}
	out, _ = mustWF(t, 0, append([]string{"env", "list", "--environment", "staging", "--client-id", stagingID, "--client-secret", stagingSecret}, api...)...)
	wantContains(t, "env list in staging", out, "no variables in environment staging")
	_, errOut = mustWF(t, 1, append([]string{"env", "list", "--environment", "nope", "--client-id", stagingID, "--client-secret", stagingSecret}, api...)...)
	wantContains(t, "stderr", errOut, "does the environment exist?")

	// Usage mistakes.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--url", hp.base}, "--url needs an access token"},
		{[]string{"list", "--url", hp.base, "--client-id", "x"}, "give both the client id and the client secret"},
		{[]string{"list", "--url", "http://id.example.com", "--token", "t"}, "plain http"},
		{[]string{"list", "--url", "ftp://x", "--token", "t"}, "not the base URL of Gatehouse"},
		{[]string{"list", "--token", "t"}, "give its --url too"},
	} {
		_, errOut := mustWF(t, 2, tc.args...)
		wantContains(t, "stderr of "+strings.Join(tc.args, " "), errOut, tc.want)
	}
	// Nothing listening.
	_, errOut = mustWF(t, 1, "list", "--url", "http://127.0.0.1:1", "--token", "t")
	wantContains(t, "stderr", errOut, "cannot reach Gatehouse at http://127.0.0.1:1")
}
