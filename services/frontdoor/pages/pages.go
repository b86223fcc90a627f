package pages

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var files embed.FS

var templates = template.Must(template.ParseFS(files, "templates/*.html"))

// SignIn is the sign-in page: an email and password form posted to Action.
type SignIn struct {
	// Action is the URL the form posts to (it carries the authorization
	// request in its query).
	Action string
	// CSRF is the anti-forgery token sent back in the form.
	CSRF string
	// AppName names the application the user signs in to.
	AppName string
	// Email pre-fills the email field (login_hint, or what was typed).
	Email string
	// Error is shown above the form (e.g. "Email or password is
	// incorrect").
	Error string
	// EmailError and PasswordError are shown next to their fields: the
	// password one is where a workflow's formErrors["p_password"] goes.
	EmailError    string
	PasswordError string
	// SignUpURL and ResetURL, when set, link to the sign-up and password
	// reset pages of the same authorization request.
	SignUpURL string
	ResetURL  string
}

// Message is a page with a title and text: errors, "signed out", "too many
// attempts". Link, when set, is offered as the way on.
type Message struct {
	Title    string
	Text     string
	Link     string
	LinkText string
}

// SignOut asks the user to confirm signing out: a form posted to Action
// with the hidden fields Fields.
type SignOut struct {
	Action  string
	CSRF    string
	AppName string
	Fields  map[string]string
}

// Page is a page type: each one names its template and its title. Page
// types live in files named after them.
type Page interface {
	template() (name, title string)
}

func (SignIn) template() (string, string)    { return "signin.html", "Sign in" }
func (p Message) template() (string, string) { return "message.html", p.Title }
func (SignOut) template() (string, string)   { return "signout.html", "Sign out" }

// Render writes page with HTTP status status.
func Render(w http.ResponseWriter, status int, page Page) {
	name, title := page.template()
	var buf bytes.Buffer
	err := templates.ExecuteTemplate(&buf, name, struct {
		Title string
		Page  any
	}{title, page})
	h := w.Header()
	setHeaders(h)
	if err != nil {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintln(w, "The page could not be rendered.")
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// setHeaders sets the security headers of every page.
func setHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	// No form-action: after signing in, the form's response redirects to
	// the client's registered redirect URI, which form-action would block.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'")
}
