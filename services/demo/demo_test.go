package demo_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/demo"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/services/platform"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// freeAddr returns a loopback address with a port free right now: the
// issuer, and so the demo's redirect URI, must name the listener's port
// before the platform starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startPlatform(t *testing.T) *platform.Platform {
	t.Helper()
	addr := freeAddr(t)
	cfg := platform.DefaultConfig()
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.NATSPort = -1
	cfg.HTTPAddr = addr
	cfg.IssuerURL = "http://" + addr
	cfg.DataDir = t.TempDir()
	cfg.Demo = true
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := platform.Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	if p.Demo() == nil {
		t.Fatal("the platform started without the demo in development")
	}
	return p
}

func TestSeedIsIdempotentAndTheDemoSignsInWithTheWorkflowClaim(t *testing.T) {
	p := startPlatform(t)
	d := p.Demo()
	if want := "http://" + p.HTTPAddr() + "/demo"; d.URL() != want {
		t.Errorf("demo URL %q, want %q", d.URL(), want)
	}
	fi, err := os.Stat(d.StateFile())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}

	// A second seed, as after a restart, finds everything and builds nothing.
	pool, err := pgxpool.New(t.Context(), p.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ids, err := identity.NewStore(pool, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := demo.Start(t.Context(), demo.Config{Identity: ids, NATS: p.NATS(), DataDir: filepath.Dir(d.StateFile()),
		IssuerURL: "http://" + p.HTTPAddr(), Logger: slog.New(slog.DiscardHandler),
		Build: func(context.Context, string) ([]byte, error) {
			t.Error("the second seed rebuilt the workflow although it is deployed")
			return nil, io.EOF
		}})
	if err != nil {
		t.Fatal(err)
	}
	if again.ClientID() != d.ClientID() || again.UserID() != d.UserID() || again.Password() != d.Password() {
		t.Errorf("second seed: client %s user %s, want client %s user %s and the same password",
			again.ClientID(), again.UserID(), d.ClientID(), d.UserID())
	}
	apps, err := ids.ListApplications(t.Context(), envname.Default)
	if err != nil {
		t.Fatal(err)
	}
	if n := countApps(apps, demo.AppName); n != 1 {
		t.Errorf("%d applications named %q after two seeds, want 1", n, demo.AppName)
	}
	users, err := ids.ListUsers(t.Context(), envname.Default, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Email != demo.Email {
		t.Errorf("users after two seeds: %+v, want only %s", users, demo.Email)
	}
	// The CLI's management client and the plans are seeded once; the
	// secret on file stays the client's secret.
	cliID, cliSecret := again.CLIClient()
	if firstID, firstSecret := d.CLIClient(); cliID == "" || cliID != firstID || cliSecret != firstSecret {
		t.Errorf("CLI client after two seeds: %s, want %s with the same secret", cliID, firstID)
	}
	if _, err := ids.VerifyClientSecret(t.Context(), envname.Default, cliID, cliSecret); err != nil {
		t.Errorf("the CLI client secret on file does not verify: %v", err)
	}
	if n := countApps(apps, mgmt.CLIClientName); n != 1 {
		t.Errorf("%d applications named %q after two seeds, want 1", n, mgmt.CLIClientName)
	}
	plans, err := ids.ListPlans(t.Context(), envname.Default)
	if err != nil || len(plans) != 3 {
		t.Errorf("plans after two seeds: %+v, %v; want 3", plans, err)
	}
	if a, err := ids.ActiveAgreement(t.Context(), envname.Default, d.UserID()); err != nil || a.PlanCode != "free" {
		t.Errorf("the demo user's plan: %+v, %v; want free", a, err)
	}
	orgs, err := ids.ListUserOrganizations(t.Context(), envname.Default, d.UserID())
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 1 {
		t.Errorf("the demo user is in %d organizations, want 1 (%s)", len(orgs), demo.OrgName)
	}
	if len(d.Password()) < 16 || identity.CheckPasswordPolicy(d.Password()) != nil {
		t.Errorf("demo password of %d characters does not pass the policy", len(d.Password()))
	}

	// Both workflows went live when the platform started.
	wfs, err := natsrpc.Call[dapi.WorkflowsRequest, dapi.WorkflowsResponse](t.Context(), p.NATS(), dapi.SubjectWorkflows,
		dapi.WorkflowsRequest{Env: envname.Default})
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]abi.Trigger{}
	for _, wf := range wfs.Workflows {
		if wf.Status == string(dapi.StatusLive) {
			live[wf.ID] = wf.Trigger
		}
	}
	if live[demo.WorkflowID] != abi.TriggerTokensGeneration || live[demo.MFAWorkflowID] != abi.TriggerPreMFA {
		t.Fatalf("live workflows %v, want %s on %s and %s on %s", live,
			demo.WorkflowID, abi.TriggerTokensGeneration, demo.MFAWorkflowID, abi.TriggerPreMFA)
	}

	b := newBrowser(t)
	home := b.get(d.URL())
	if home.Status != http.StatusOK || !strings.Contains(home.Body, "/demo/login") || !strings.Contains(home.Body, "/demo/login?mfa=1") {
		t.Fatalf("demo home: %d\n%s", home.Status, home.Body)
	}
	// The first sign-in: the pre-MFA workflow requires MFA of a user who
	// never completed it, so the demo user sets up an authenticator app.
	// The demoflair claim is in the tokens.
	mfaPage := b.signIn(d.URL()+"/login", d.Email(), d.Password())
	if !strings.HasSuffix(mfaPage, "/mfa") {
		t.Fatalf("the first sign-in went to %s, want the MFA page", mfaPage)
	}
	key, used, codes := b.enrollTOTP(mfaPage)
	result := b.callback(b.redirect("continue after the backup codes", b.mfaStep("continue", codes, "continue", nil)))
	for _, want := range []string{demo.AccessTokenClaim, "hello from a workflow", demo.IDTokenClaim,
		d.UserID(), html.EscapeString(demo.Email), "id_token_hint=", "post_logout_redirect_uri=",
		`<code id="amr">pwd, mfa, otp</code>`, "Signed in with a second factor."} {
		if !strings.Contains(result, want) {
			t.Errorf("callback page lacks %q:\n%s", want, result)
		}
	}
	if !regexp.MustCompile(`id="sub">` + regexp.QuoteMeta(d.UserID()) + `<`).MatchString(result) {
		t.Errorf("callback page does not show the user's sub %s", d.UserID())
	}

	// Another browser within 24 hours: the workflow skips MFA.
	b2 := newBrowser(t)
	next := b2.signIn(d.URL()+"/login", d.Email(), d.Password())
	if !strings.Contains(next, "/demo/callback?") {
		t.Fatalf("the second sign-in went to %s, want the demo callback (MFA skipped)", next)
	}
	result = b2.callback(next)
	if !strings.Contains(result, `<code id="amr">pwd</code>`) || !strings.Contains(result, "No second factor in this sign-in") {
		t.Errorf("the second sign-in's callback page does not show a password-only sign-in:\n%s", result)
	}

	// "Sign in with MFA" asks for the code all the same (acr_values): the
	// code of the next time step, as the one of this step was used.
	b3 := newBrowser(t)
	mfaPage = b3.signIn(d.URL()+"/login?mfa=1", d.Email(), d.Password())
	if !strings.HasSuffix(mfaPage, "/mfa") {
		t.Fatalf("the sign-in with MFA went to %s, want the MFA page", mfaPage)
	}
	challenge := b3.get(mfaPage)
	if !strings.Contains(challenge.Body, "Enter your code") {
		t.Fatalf("the sign-in with MFA does not ask for the code:\n%s", challenge.Body)
	}
	result = b3.callback(b3.redirect("verify the code",
		b3.mfaStep("verify the code", challenge, "verify", url.Values{"code": {totpCode(t, key, used.Add(30*time.Second))}})))
	if !strings.Contains(result, `<code id="acr">http://schemas.openid.net/pape/policies/2007/06/multi-factor</code>`) ||
		!strings.Contains(result, "Signed in with a second factor.") {
		t.Errorf("the sign-in with MFA's callback page does not show MFA:\n%s", result)
	}

	// Replaying the callback fails cleanly: the flow cookie is single use.
	replay := b.get(d.URL() + "/callback?code=x&state=y")
	if replay.Status != http.StatusBadRequest || !strings.Contains(replay.Body, "state does not match") {
		t.Errorf("replayed callback: %d\n%s", replay.Status, replay.Body)
	}
}

func countApps(apps []identity.Application, name string) int {
	n := 0
	for _, a := range apps {
		if a.Name == name {
			n++
		}
	}
	return n
}

// browser is a user agent with a cookie jar that does not follow
// redirects, so that every hop can be checked.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	URL      string
	Status   int
	Body     string
	Location string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if loc != "" {
		u, err := req.URL.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		loc = u.String()
	}
	return page{URL: req.URL.String(), Status: resp.StatusCode, Body: string(body), Location: loc}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// redirect expects p to be a 303 or 302 and returns where it goes.
func (b *browser) redirect(what string, p page) string {
	b.t.Helper()
	if (p.Status != http.StatusSeeOther && p.Status != http.StatusFound) || p.Location == "" {
		b.t.Fatalf("%s: %d to %q, want a redirect\n%s", what, p.Status, p.Location, p.Body)
	}
	return p.Location
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	csrfInput  = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
	totpSecret = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
)

// form returns the address the first form of p posts to and its CSRF
// token.
func (b *browser) form(what string, p page) (action, csrf string) {
	b.t.Helper()
	a, c := formAction.FindStringSubmatch(p.Body), csrfInput.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || a == nil || c == nil {
		b.t.Fatalf("%s: %d, no form with a CSRF token\n%s", what, p.Status, p.Body)
	}
	base, err := url.Parse(p.URL)
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := base.Parse(html.UnescapeString(a[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	return u.String(), html.UnescapeString(c[1])
}

// signIn starts the demo's sign-in at loginURL, submits the frontdoor's
// sign-in form and returns where the form redirected.
func (b *browser) signIn(loginURL, email, password string) string {
	b.t.Helper()
	auth := b.redirect("demo login", b.get(loginURL))
	au, err := url.Parse(auth)
	if err != nil {
		b.t.Fatal(err)
	}
	if q := au.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" {
		b.t.Fatalf("authorization request %s lacks PKCE S256, nonce or state", auth)
	}
	signInURL := b.redirect("authorization request", b.get(auth))
	action, csrf := b.form("sign-in page", b.get(signInURL))
	return b.redirect("sign-in", b.post(action, url.Values{
		"csrf_token": {csrf}, "email": {email}, "p_password": {password}}))
}

// mfaStep posts one action of the MFA page p.
func (b *browser) mfaStep(what string, p page, action string, fields url.Values) page {
	b.t.Helper()
	target, csrf := b.form(what, p)
	form := url.Values{"csrf_token": {csrf}, "action": {action}}
	for k, v := range fields {
		form[k] = v
	}
	return b.post(target, form)
}

// enrollTOTP sets up an authenticator app on the MFA page at mfaURL and
// verifies its first code. It returns the key and the time of the code
// used, and the page of the backup codes.
func (b *browser) enrollTOTP(mfaURL string) (key string, used time.Time, codes page) {
	b.t.Helper()
	p := b.get(mfaURL)
	if !strings.Contains(p.Body, "Set up a second factor") {
		b.t.Fatalf("the MFA page does not offer to set up a second factor:\n%s", p.Body)
	}
	p = b.mfaStep("set up an authenticator app", p, "enroll", url.Values{"type": {"totp"}})
	m := totpSecret.FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("the authenticator app set-up page shows no key: %d\n%s", p.Status, p.Body)
	}
	used = time.Now()
	p = b.mfaStep("verify the first code", p, "verify", url.Values{"code": {totpCode(b.t, m[1], used)}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="backup-codes"`) {
		b.t.Fatalf("after the first code: %d, want the backup codes\n%s", p.Status, p.Body)
	}
	return m[1], used, p
}

// callback opens the demo's callback at loc and returns its body.
func (b *browser) callback(loc string) string {
	b.t.Helper()
	if !strings.Contains(loc, "/demo/callback?") {
		b.t.Fatalf("the sign-in went to %s, want the demo callback", loc)
	}
	cb := b.get(loc)
	if cb.Status != http.StatusOK {
		b.t.Fatalf("demo callback: %d\n%s", cb.Status, cb.Body)
	}
	return cb.Body
}

// totpCode returns the authenticator app's code for key at at.
func totpCode(t *testing.T, key string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(key, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
