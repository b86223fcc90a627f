package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-id/gatehouse/services/demo"
)

// Elements the scenario finds by their text or their name, as a person
// would, never by their place in the layout.
const (
	demoSignInLink    = `//a[normalize-space()="Sign in"]`
	demoSignOutLink   = `//a[normalize-space()="Sign out"]`
	createAccountLink = `//a[normalize-space()="Create an account"]`
	signInButton      = `//form//button[normalize-space()="Sign in"]`
	createButton      = `//form//button[normalize-space()="Create account"]`
	workflowClaim     = `//*[@id="workflow-claim"]`
)

// The scenario of the development demo, as a person goes through it in a
// browser: the demo page, the hosted sign-in and sign-up pages, the demo's
// callback page showing the tokens with the claims of the live demo
// workflow, and the demo's sign-out (RP-initiated logout).
func TestDemoInTheBrowser(t *testing.T) {
	s := startStack(t)

	t.Run("the demo user signs in, sees the workflow's claims, signs out and signs in again", func(t *testing.T) {
		b := newBrowser(t, s)
		b.openDemo(s)
		for range 2 {
			b.startSignIn(s)
			b.submitSignIn(s.demo.Email(), s.demo.Password())
			if sub := b.expectSignedIn(s, s.demo.Email()); sub != s.demo.UserID() {
				b.fatalf("the demo page shows sub %q, want the demo user %s", sub, s.demo.UserID())
			}
			b.signOut(s)
		}
	})

	t.Run("a new user signs up, signs out and signs in again", func(t *testing.T) {
		const (
			email    = "ada.lovelace@example.test"
			password = "violet-harbour-lantern-1847"
		)
		b := newBrowser(t, s)
		b.openDemo(s)
		b.startSignIn(s)
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
		sub := b.expectSignedIn(s, email)
		if sub == s.demo.UserID() {
			b.fatalf("the new account signed in as the demo user %s", sub)
		}

		b.signOut(s)
		b.startSignIn(s)
		b.submitSignIn(email, password)
		if again := b.expectSignedIn(s, email); again != sub {
			b.fatalf("signing in again shows sub %q, want the account made at sign-up, %s", again, sub)
		}
	})

	t.Run("prompt=create opens the sign-up page", func(t *testing.T) {
		b := newBrowser(t, s)
		b.openDemo(s)
		signIn := b.startSignIn(s)
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

// startSignIn follows the demo's "Sign in" to the hosted sign-in page and
// returns the page's address.
func (b *browser) startSignIn(s *stack) *url.URL {
	b.t.Helper()
	b.click(`click the demo's "Sign in"`, demoSignInLink)
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
// email signed in and both claims of the demo workflow: the access token's
// gatehouse_demo and the ID token's greeting for this user. It returns the
// user's sub.
func (b *browser) expectSignedIn(s *stack, email string) string {
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
	return sub
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
