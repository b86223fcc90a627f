package pages

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSignInEscapesAndLabels(t *testing.T) {
	rec := httptest.NewRecorder()
	Render(rec, 401, SignIn{Action: "https://id.example/sign-in?client_id=a&state=<x>", CSRF: `t"ok`, AppName: "<b>App</b>",
		Email: `"><script>alert(1)</script>`, Error: "Email or password is incorrect.", PasswordError: "<i>too old</i>"})
	body := rec.Body.String()
	if rec.Code != 401 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("response %d %v", rec.Code, rec.Header())
	}
	for _, bad := range []string{"<script>", "<b>App</b>", "<i>too old</i>", `value="t"ok"`} {
		if strings.Contains(body, bad) {
			t.Errorf("unescaped %q in\n%s", bad, body)
		}
	}
	for _, want := range []string{`<label for="email">Email</label>`, `<label for="p_password">Password</label>`,
		`aria-describedby="password-error"`, `id="password-error">&lt;i&gt;too old&lt;/i&gt;</p>`, `role="alert"`,
		`action="https://id.example/sign-in?client_id=a&amp;state=%3cx%3e"`, `lang="en"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
}

func TestMessageAndSignOut(t *testing.T) {
	rec := httptest.NewRecorder()
	Render(rec, 429, Message{Title: "Too many sign-in attempts", Text: "Try again in 15 minutes."})
	if rec.Code != 429 || !strings.Contains(rec.Body.String(), "<title>Too many sign-in attempts</title>") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	Render(rec, 200, SignOut{Action: "https://id.example/oauth2/logout", CSRF: "c", AppName: "App",
		Fields: map[string]string{"state": `"x`, "client_id": "c1"}})
	body := rec.Body.String()
	if !strings.Contains(body, `name="state" value="&#34;x"`) || !strings.Contains(body, `name="client_id" value="c1"`) ||
		!strings.Contains(body, "Sign out of App?") {
		t.Fatalf("sign-out page:\n%s", body)
	}
}
