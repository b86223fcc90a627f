package frontdoor_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

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
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is a response with its body read.
type page struct {
	Status   int
	Header   http.Header
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
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Location: resp.Header.Get("Location")}
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

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	csrfInput  = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
)

// form returns the action and CSRF token of the page's form.
func (p page) form(t *testing.T) (action, csrf string) {
	t.Helper()
	a, c := formAction.FindStringSubmatch(p.Body), csrfInput.FindStringSubmatch(p.Body)
	if a == nil || c == nil {
		t.Fatalf("no form with a CSRF token on the page (%d):\n%s", p.Status, p.Body)
	}
	return html.UnescapeString(a[1]), html.UnescapeString(c[1])
}

// openSignIn follows an authorization URL to the sign-in page.
func (b *browser) openSignIn(authURL string) page {
	b.t.Helper()
	p := b.get(authURL)
	if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/sign-in?") {
		b.t.Fatalf("authorization request: %d to %q, want a redirect to the sign-in page\n%s", p.Status, p.Location, p.Body)
	}
	p = b.get(p.Location)
	if p.Status != http.StatusOK {
		b.t.Fatalf("sign-in page: %d\n%s", p.Status, p.Body)
	}
	return p
}

// submit posts the sign-in form of p with email and password.
func (b *browser) submit(p page, email, password string) page {
	b.t.Helper()
	action, csrf := p.form(b.t)
	return b.post(action, url.Values{"csrf_token": {csrf}, "email": {email}, "p_password": {password}})
}

// signIn runs an authorization request through the sign-in page and
// returns the redirect back to the client.
func (b *browser) signIn(authURL, email, password string) *url.URL {
	b.t.Helper()
	p := b.submit(b.openSignIn(authURL), email, password)
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("sign-in: %d, want a redirect to the client\n%s", p.Status, p.Body)
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}
