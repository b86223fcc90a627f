package demo

import (
	"bytes"
	"html/template"
	"net/http"
)

// view is what the demo page shows.
type view struct {
	Base     string
	Error    string
	SignedIn bool

	Subject, Email               string
	IDClaims, AccessClaims       string // pretty JSON
	AccessClaimName, IDClaimName string
	AccessClaim, IDClaim         string // pretty JSON of the workflow's claims; empty when absent
	SignOut                      string
	// AMR and ACR are the ID token's amr and acr; MFA says amr shows
	// multi-factor authentication.
	AMR []string
	ACR string
	MFA bool
}

var page = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Gatehouse demo</title>
<style>
body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
pre{background:#f4f5f7;padding:1rem;overflow-x:auto;border-radius:6px}
.claim{background:#fff7d6;border:2px solid #e0b100;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.error{background:#fde8e8;border:2px solid #c81e1e;border-radius:6px;padding:.75rem 1rem}
.auth{background:#eef4ff;border:2px solid #1d4ed8;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.button{display:inline-block;background:#1d4ed8;color:#fff;padding:.6rem 1.2rem;border-radius:6px;text-decoration:none}
</style>
</head>
<body>
<h1>Gatehouse demo</h1>
{{if .Error}}
<p class="error" role="alert">{{.Error}}</p>
<p><a class="button" href="{{.Base}}/login">Sign in again</a></p>
{{else if .SignedIn}}
<p>Signed in as <strong id="email">{{.Email}}</strong> (<code id="sub">{{.Subject}}</code>).</p>
{{if .AccessClaim}}
<div class="claim" id="workflow-claim">
<p>Set by the live workflow in the access token: <code>{{.AccessClaimName}}</code> = <code>{{.AccessClaim}}</code></p>
{{if .IDClaim}}<p>and in the ID token: <code>{{.IDClaimName}}</code> = <code>{{.IDClaim}}</code></p>{{end}}
</div>
{{else}}
<p class="claim">No <code>{{.AccessClaimName}}</code> claim: the demo workflow is not live (see the log of <code>gatehouse serve</code>).</p>
{{end}}
<div class="auth" id="authentication">
<p>Authentication methods (<code>amr</code>): <code id="amr">{{range $i, $m := .AMR}}{{if $i}}, {{end}}{{$m}}{{end}}</code>
and assurance (<code>acr</code>): <code id="acr">{{if .ACR}}{{.ACR}}{{else}}none{{end}}</code></p>
{{if .MFA}}<p id="mfa-status">Signed in with a second factor.</p>
{{else}}<p id="mfa-status">No second factor in this sign-in: the demo's live <code>user:pre_mfa</code>
workflow skips MFA when your last one is under 24 hours old (<em>Sign in
with MFA</em> below asks for it anyway).</p>
{{end}}
</div>
<h2>ID token claims</h2>
<pre id="id-token">{{.IDClaims}}</pre>
<h2>Access token claims</h2>
<pre id="access-token">{{.AccessClaims}}</pre>
<p><a class="button" href="{{.SignOut}}">Sign out</a> <a href="{{.Base}}/login">Sign in again</a>
<a href="{{.Base}}/login?mfa=1">Sign in with MFA</a></p>
{{else}}
<p>A small web application that signs in through Gatehouse with the
authorization code flow and PKCE, then shows the ID token and the access
token it received — including the claims the live
<code>user:tokens_generation</code> workflow added, and how you
authenticated.</p>
<p>Sign in with the demo credentials <code>gatehouse serve</code> printed.
The live <code>user:pre_mfa</code> workflow asks for a second factor unless
your last one is under 24 hours old: the first sign-in sets one up (an
authenticator app, or codes by email, which land in the development outbox at
<code>/dev/outbox</code>).</p>
<p><a class="button" href="{{.Base}}/login">Sign in</a>
<a href="{{.Base}}/login?mfa=1">Sign in with MFA</a></p>
{{end}}
</body>
</html>
`))

// render writes the page; no store may keep it (it shows tokens' claims).
func render(w http.ResponseWriter, status int, v view) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		http.Error(w, "demo page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
