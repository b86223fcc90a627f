package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/services/demo"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Elements the scenario finds by their text or their name, as a person
// would, never by their place in the layout.
const (
	demoSignInLink    = `//a[normalize-space()="Sign in"]`
	demoSignOutLink   = `//a[normalize-space()="Sign out"]`
	createAccountLink = `//a[normalize-space()="Create an account"]`
	signInButton      = `//form//button[normalize-space()="Sign in"]`
	createButton      = `//form//button[normalize-space()="Create account"]`
	useAppButton      = `//form//button[normalize-space()="Use an authenticator app"]`
	verifyButton      = `//form//button[normalize-space()="Verify"]`
	savedCodesButton  = `//form//button[normalize-space()="I saved them, continue"]`
	workflowClaim     = `//*[@id="workflow-claim"]`
)

// The scenario of the development demo, as a person goes through it in a
// browser: the demo page, the hosted sign-in, sign-up and MFA pages, the
// demo's callback page showing the tokens with the claims of the live
// demo workflow and how the user authenticated, and the demo's sign-out
// (RP-initiated logout).
//
// The demo's pre-MFA workflow requires MFA unless the user's last MFA is
// under 24 hours old: a first sign-in sets up an authenticator app, the
// next one skips MFA, and the demo's "Sign in with MFA" (acr_values) asks
// for the code all the same.
func TestDemoInTheBrowser(t *testing.T) {
	s := startStack(t)

	t.Run("the demo user signs in, sets up an authenticator app, signs out and signs in again without MFA", func(t *testing.T) {
		b := newBrowser(t, s)
		b.openDemo(s)
		b.startSignIn(s, "Sign in")
		b.submitSignIn(s.demo.Email(), s.demo.Password())
		b.enrollTOTP(s)
		if sub := b.expectSignedIn(s, s.demo.Email(), true); sub != s.demo.UserID() {
			b.fatalf("the demo page shows sub %q, want the demo user %s", sub, s.demo.UserID())
		}
		b.signOut(s)

		// Within 24 hours of the last MFA the workflow skips it.
		b.startSignIn(s, "Sign in")
		b.submitSignIn(s.demo.Email(), s.demo.Password())
		if sub := b.expectSignedIn(s, s.demo.Email(), false); sub != s.demo.UserID() {
			b.fatalf("the demo page shows sub %q, want the demo user %s", sub, s.demo.UserID())
		}
		b.signOut(s)
	})

	t.Run("a new user signs up, sets up an authenticator app, signs out and signs in with MFA", func(t *testing.T) {
		const (
			email    = "ada.lovelace@example.test"
			password = "violet-harbour-lantern-1847"
		)
		b := newBrowser(t, s)
		b.openDemo(s)
		b.startSignIn(s, "Sign in")
		b.click(`follow "Create an account" on the sign-in page`, createAccountLink)
		b.expectPage(s, "/sign-up")
		b.do("fill in the sign-up form",
			chromedp.Clear(field("email")),
			chromedp.SendKeys(field("email"), email),
			chromedp.SendKeys(field("given_name"), "Ada"),
			chromedp.SendKeys(field("family_name"), "Lovelace"),
			chromedp.SendKeys(field("p_first_password"), password),
			chromedp.SendKeys(field("p_second_password"), password))
		b.click(`submit the sign-up form with "Create account"`, createButton)
		key := b.enrollTOTP(s)
		sub := b.expectSignedIn(s, email, true)
		if sub == s.demo.UserID() {
			b.fatalf("the new account signed in as the demo user %s", sub)
		}

		b.signOut(s)
		b.startSignIn(s, "Sign in with MFA")
		b.submitSignIn(email, password)
		// The code of this time step was used at the set-up and is refused
		// from now on: the authenticator app's next code (now + 30 s) is
		// accepted, as the service allows one step of clock skew. It is
		// always later than the set-up's, so the test never waits.
		b.enterCode(s, key, time.Now().Add(totpStep))
		if again := b.expectSignedIn(s, email, true); again != sub {
			b.fatalf("signing in again shows sub %q, want the account made at sign-up, %s", again, sub)
		}
	})

	t.Run("prompt=create opens the sign-up page", func(t *testing.T) {
		b := newBrowser(t, s)
		b.openDemo(s)
		signIn := b.startSignIn(s, "Sign in")
		// The sign-in page carries the authorization request in its query;
		// the same request with prompt=create asks for the sign-up page.
		q := signIn.Query()
		q.Set("prompt", "create")
		b.load("open the demo's authorization request with prompt=create",
			chromedp.Navigate(s.issuer()+"/oauth2/auth?"+q.Encode()))
		b.expectPage(s, "/sign-up")
		b.do("find the sign-up form", chromedp.WaitVisible(field("p_second_password")))
	})
}

// field selects the input named name in the page's form.
func field(name string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`form input[name=%q]`, name))
}

// issuer is the issuer of the default environment, the listener's address.
func (s *stack) issuer() string { return strings.TrimSuffix(s.demo.URL(), demo.Path) }

// openDemo opens the demo page, signed out.
func (b *browser) openDemo(s *stack) {
	b.t.Helper()
	b.load("open the demo page", chromedp.Navigate(s.demo.URL()))
	if b.count(demoSignInLink) != 1 {
		b.fatalf("the demo page has no %q link:\n%s", "Sign in", b.bodyText())
	}
}

// startSignIn follows the demo's link named text ("Sign in" or "Sign in
// with MFA") to the hosted sign-in page and returns the page's address.
func (b *browser) startSignIn(s *stack, text string) *url.URL {
	b.t.Helper()
	b.click(fmt.Sprintf("click the demo's %q", text), fmt.Sprintf(`//a[normalize-space()=%q]`, text))
	u := b.expectPage(s, "/sign-in")
	b.do("find the sign-in form", chromedp.WaitVisible(field("p_password")))
	return u
}

// expectPage checks that the tab shows the frontdoor's page at path for
// the demo's authorization request, and returns its address.
func (b *browser) expectPage(s *stack, path string) *url.URL {
	b.t.Helper()
	loc := b.location()
	u, err := url.Parse(loc)
	if err != nil {
		b.fatalf("the page's address %q: %v", loc, err)
	}
	if want := s.issuer() + path; u.Scheme+"://"+u.Host+u.Path != want {
		b.fatalf("the browser is at %s, want %s:\n%s", loc, want, b.bodyText())
	}
	if got := u.Query().Get("client_id"); got != s.demo.ClientID() {
		b.fatalf("%s is for client_id %q, want the demo application %s", path, got, s.demo.ClientID())
	}
	return u
}

// submitSignIn fills in the hosted sign-in form and submits it.
func (b *browser) submitSignIn(email, password string) {
	b.t.Helper()
	b.do("fill in the sign-in form",
		chromedp.Clear(field("email")),
		chromedp.SendKeys(field("email"), email),
		chromedp.SendKeys(field("p_password"), password))
	b.click(`submit the sign-in form with "Sign in"`, signInButton)
}

// expectSignedIn checks that the tab shows the demo's callback page with
// email signed in, both claims of the demo workflow (the access token's
// gatehouse_demo and the ID token's greeting for this user), and, in both
// tokens, a multi-factor authentication with an authenticator app when
// withMFA is set and a password alone otherwise. It returns the user's sub.
func (b *browser) expectSignedIn(s *stack, email string, withMFA bool) string {
	b.t.Helper()
	if loc := b.location(); !strings.HasPrefix(loc, s.demo.URL()+"/callback?") {
		b.fatalf("the browser is at %s, want the demo's callback %s/callback:\n%s", loc, s.demo.URL(), b.bodyText())
	}
	if got := b.visibleText(chromedp.CSS("#email")); got != email {
		b.fatalf("the demo page shows %q signed in, want %q", got, email)
	}
	sub := b.visibleText(chromedp.CSS("#sub"))
	if sub == "" {
		b.fatalf("the demo page shows no sub")
	}
	if b.count(workflowClaim) != 1 {
		b.fatalf("the demo page does not show the workflow's %s claim:\n%s", demo.AccessTokenClaim, b.bodyText())
	}
	claim := b.visibleText(chromedp.CSS("#workflow-claim"))
	for _, want := range []string{
		fmt.Sprintf(`%s = "hello from a workflow"`, demo.AccessTokenClaim),
		fmt.Sprintf(`%s = "hello %s, from a workflow"`, demo.IDTokenClaim, sub),
	} {
		if !strings.Contains(claim, want) {
			b.fatalf("the workflow's claims read %q, want them to include %q", claim, want)
		}
	}
	for sel, name := range map[chromedp.CSS]string{"#access-token": demo.AccessTokenClaim, "#id-token": demo.IDTokenClaim} {
		if text := b.visibleText(sel); !strings.Contains(text, `"`+name+`"`) {
			b.fatalf("the decoded token %s lacks the %s claim:\n%s", sel, name, text)
		}
	}
	b.expectAuthentication(withMFA)
	return sub
}

// expectAuthentication checks the amr and acr of both decoded tokens on
// the demo's callback page, and the page's summary of them: "pwd", "mfa"
// and "otp" with the multi-factor acr after MFA with an authenticator app,
// "pwd" alone without an acr otherwise.
func (b *browser) expectAuthentication(withMFA bool) {
	b.t.Helper()
	wantAMR, wantACR := []string{"pwd"}, ""
	if withMFA {
		wantAMR, wantACR = []string{"pwd", "mfa", "otp"}, acrMFA
	}
	for _, sel := range []chromedp.CSS{"#id-token", "#access-token"} {
		text := b.visibleText(sel)
		var claims struct {
			AMR []string `json:"amr"`
			ACR string   `json:"acr"`
		}
		if err := json.Unmarshal([]byte(text), &claims); err != nil {
			b.fatalf("the decoded token %s is not a JSON object: %v\n%s", sel, err, text)
		}
		if !slices.Equal(claims.AMR, wantAMR) || claims.ACR != wantACR {
			b.fatalf("the decoded token %s has amr %q and acr %q, want amr %q and acr %q", sel, claims.AMR, claims.ACR, wantAMR, wantACR)
		}
	}
	if got, want := b.visibleText("#amr"), strings.Join(wantAMR, ", "); got != want {
		b.fatalf("the demo page shows the authentication methods %q, want %q", got, want)
	}
	status := b.visibleText("#mfa-status")
	if want := "Signed in with a second factor."; withMFA != (status == want) {
		b.fatalf("the demo page says %q about MFA (MFA done: %v)", status, withMFA)
	}
}

// acrMFA is the acr of multi-factor authentication (the OpenID PAPE
// multi-factor policy).
const acrMFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"

// totpStep is the time step of an authenticator app's codes.
const totpStep = 30 * time.Second

// expectMFAPage checks that the tab shows the frontdoor's MFA page with
// heading h1.
func (b *browser) expectMFAPage(s *stack, h1 string) {
	b.t.Helper()
	loc := b.location()
	u, err := url.Parse(loc)
	if err != nil {
		b.fatalf("the page's address %q: %v", loc, err)
	}
	if want := s.issuer() + "/mfa"; u.Scheme+"://"+u.Host+u.Path != want {
		b.fatalf("the browser is at %s, want the MFA page %s:\n%s", loc, want, b.bodyText())
	}
	if got := b.visibleText("h1"); got != h1 {
		b.fatalf("the MFA page's heading is %q, want %q:\n%s", got, h1, b.bodyText())
	}
}

// enrollTOTP goes through the MFA set-up the sign-in asks for: it chooses
// an authenticator app, reads the key off the page as a person would type
// it into the app, enters the app's current code, and continues past the
// backup codes. It returns the key.
func (b *browser) enrollTOTP(s *stack) string {
	b.t.Helper()
	b.expectMFAPage(s, "Set up a second factor")
	b.click(`choose "Use an authenticator app"`, useAppButton)
	b.expectMFAPage(s, "Enter your code")
	key := b.visibleText("#totp-secret")
	if key == "" {
		b.fatalf("the authenticator app set-up page shows no key:\n%s", b.bodyText())
	}
	b.submitCode(key, time.Now())
	b.expectMFAPage(s, "Save your backup codes")
	if n := b.count(`//*[@id="backup-codes"]/li`); n != mapi.BackupCodeCount {
		b.fatalf("the backup codes page shows %d codes, want %d:\n%s", n, mapi.BackupCodeCount, b.bodyText())
	}
	b.click(`continue with "I saved them, continue"`, savedCodesButton)
	return key
}

// enterCode answers the MFA page's request for the authenticator app's
// code with the code of key at at.
func (b *browser) enterCode(s *stack, key string, at time.Time) {
	b.t.Helper()
	b.expectMFAPage(s, "Enter your code")
	if b.count(`//*[@id="totp-secret"]`) != 0 {
		b.fatalf("the MFA page shows the authenticator app's key again; it must only ask for the code")
	}
	b.submitCode(key, at)
}

// submitCode types the code of key at at and presses "Verify".
func (b *browser) submitCode(key string, at time.Time) {
	b.t.Helper()
	code, err := totp.GenerateCode(key, at)
	if err != nil {
		b.fatalf("compute the code of the key shown: %v", err)
	}
	b.do("type the authenticator app's code", chromedp.SendKeys(field("code"), code))
	b.click(`submit the code with "Verify"`, verifyButton)
}

// signOut follows the demo's "Sign out" (RP-initiated logout with the ID
// token as hint), which must sign out at once, without a confirmation
// page, and return to the demo page, signed out.
func (b *browser) signOut(s *stack) {
	b.t.Helper()
	b.click(`click the demo's "Sign out"`, demoSignOutLink)
	if loc := b.location(); loc != s.demo.URL() {
		b.fatalf("after signing out the browser is at %s, want the demo page %s (the post-logout redirect):\n%s",
			loc, s.demo.URL(), b.bodyText())
	}
	if b.count(workflowClaim) != 0 || b.count(demoSignInLink) != 1 {
		b.fatalf("the demo page does not show the signed-out view after signing out:\n%s", b.bodyText())
	}
}
