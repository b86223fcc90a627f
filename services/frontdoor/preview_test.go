package frontdoor_test

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

// uploadDraft deploys wasm in env without making it live and returns the
// deployment with its preview password.
func (h *harness) uploadDraft(t *testing.T, env string, wasm []byte) dapi.UploadResponse {
	t.Helper()
	ctx := testContext(t)
	js, err := jetstream.New(h.p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	sha, err := dapi.PutArtifact(ctx, js, wasm)
	if err != nil {
		t.Fatal(err)
	}
	live := false
	resp, err := natsrpc.Call[dapi.UploadRequest, dapi.UploadResponse](ctx, h.p.NATS(), dapi.SubjectUpload,
		dapi.UploadRequest{Env: env, SHA256: sha, Source: "test", Live: &live})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Deployment.Status == dapi.StatusLive || resp.Deployment.Status == dapi.StatusFailed || resp.PreviewPassword == "" {
		t.Fatalf("upload: %+v", resp)
	}
	return resp
}

func testPreview(t *testing.T, h *harness) {
	const env = "preview"
	h.env(env)
	h.user(t, env, "preview@example.com", password)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	draft := h.uploadDraft(t, env, wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench"))
	deployID := draft.Deployment.ID
	ipClaim := func(tok *oauth2.Token) bool {
		return h.verifyAccess(t, env, tok.AccessToken).Claims["ip"] != nil
	}

	// Without deploy_id the live workflows run: there are none.
	if tok, _ := c.login(t, h, env, newBrowser(t), "preview@example.com"); ipClaim(tok) {
		t.Fatal("the draft deployment ran without a preview")
	}

	b := newBrowser(t)
	ar := c.authRequest(oauth2.SetAuthURLParam("deploy_id", deployID))
	p := b.get(ar.url)
	if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/preview?") {
		t.Fatalf("authorization request with deploy_id: %d to %q", p.Status, p.Location)
	}
	previewURL := p.Location
	form := b.get(previewURL)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, deployID) || !strings.Contains(form.Body, `name="preview_password"`) {
		t.Fatalf("preview page %d:\n%s", form.Status, form.Body)
	}
	// The sign-in page cannot be reached around it.
	signIn := strings.Replace(previewURL, "/preview?", "/sign-in?", 1)
	if p = b.get(signIn); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/preview?") {
		t.Fatalf("sign-in page without the preview password: %d to %q", p.Status, p.Location)
	}
	action, csrf := form.form(t)
	if p = b.post(action, url.Values{"preview_password": {draft.PreviewPassword}}); p.Status != http.StatusForbidden {
		t.Fatalf("no csrf: %d", p.Status)
	}
	p = b.post(action, url.Values{"csrf_token": {csrf}, "preview_password": {"wrong"}})
	if p.Status != http.StatusUnauthorized || !strings.Contains(html.UnescapeString(p.Body), "The preview password is incorrect") ||
		strings.Contains(p.Body, draft.PreviewPassword) {
		t.Fatalf("wrong password: %d\n%s", p.Status, p.Body)
	}
	p = b.post(action, url.Values{"csrf_token": {csrf}, "preview_password": {draft.PreviewPassword}})
	if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/oauth2/auth?") {
		t.Fatalf("right password: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	// Back at the authorization request, the sign-in goes on under the
	// preview: the draft's tokens_generation runs.
	if p = b.get(p.Location); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/sign-in?") {
		t.Fatalf("resumed request: %d to %q", p.Status, p.Location)
	}
	sp := b.get(p.Location)
	p = b.submit(sp, "preview@example.com", password)
	u, err := url.Parse(p.Location)
	if err != nil || p.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d\n%s", p.Status, p.Body)
	}
	tok, err := c.conf.Exchange(testContext(t), codeFrom(t, h, env, u, ar), oauth2.VerifierOption(ar.verifier))
	if err != nil {
		t.Fatal(err)
	}
	if !ipClaim(tok) {
		t.Fatal("the previewed deployment did not run at the code exchange")
	}

	// The preview belongs to this browser and this client.
	other, otherSecret := webApp(t, h, env)
	c2 := newClient(t, h, env, other, otherSecret)
	if p = b.get(c2.authRequest(oauth2.SetAuthURLParam("deploy_id", deployID)).url); p.Status != http.StatusSeeOther ||
		!strings.Contains(p.Location, "/preview?") {
		t.Fatalf("another client: %d to %q", p.Status, p.Location)
	}
	if p = newBrowser(t).get(ar.url); !strings.Contains(p.Location, "/preview?") {
		t.Fatalf("another browser: %d to %q", p.Status, p.Location)
	}

	// Guessing is limited per deployment.
	b = newBrowser(t)
	unknown := c.authRequest(oauth2.SetAuthURLParam("deploy_id", "dep_00000000000000000000000000000000"))
	p = b.get(unknown.url)
	form = b.get(p.Location)
	action, csrf = form.form(t)
	var last page
	for range 6 {
		last = b.post(action, url.Values{"csrf_token": {csrf}, "preview_password": {"guess"}})
		if last.Status == http.StatusTooManyRequests {
			break
		}
		if last.Status != http.StatusUnauthorized {
			t.Fatalf("guess: %d", last.Status)
		}
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("the 6th guess: %d", last.Status)
	}
	// The real deployment is not locked by guesses at another.
	b = newBrowser(t)
	p = b.get(c.authRequest(oauth2.SetAuthURLParam("deploy_id", deployID)).url)
	action, csrf = b.get(p.Location).form(t)
	if p = b.post(action, url.Values{"csrf_token": {csrf}, "preview_password": {draft.PreviewPassword}}); p.Status != http.StatusSeeOther {
		t.Fatal(errors.New("the right password was refused after guesses at another deployment"))
	}
}
