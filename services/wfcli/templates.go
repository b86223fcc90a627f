package wfcli

import (
	"strings"
	"text/template"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// scaffold describes the starter workflow init writes for one trigger.
type scaffold struct {
	Const       string      // SDK constant of the trigger
	Event       string      // SDK event type
	Binding     abi.Binding // the binding the starter code uses
	DefaultName string
	Imports     []string // standard library imports besides the SDK
	Summary     string   // one line for the README
	Body        string   // declarations and func handle
}

var scaffolds = map[abi.Trigger]scaffold{
	abi.TriggerPreRegistration: {
		Const: "TriggerPreRegistration", Event: "PreRegistrationEvent", Binding: abi.BindingAuth,
		DefaultName: "Block disposable e-mail addresses", Imports: []string{"strings"},
		Summary: "It refuses registrations that use a disposable e-mail domain (kinde.auth → DenyAccess).",
		Body: `// disposableDomains are e-mail domains that may not register.
var disposableDomains = map[string]bool{
	"mailinator.com":    true,
	"guerrillamail.com": true,
	"10minutemail.com":  true,
}

// handle refuses registrations with a disposable e-mail address.
func handle(e *gatehouse.PreRegistrationEvent) error {
	email := e.Context.Auth.ProvidedEmail
	if email == "" {
		email = e.Context.User.Email
	}
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	if disposableDomains[domain] {
		gatehouse.Logf("refused a registration from the disposable domain %s", domain)
		return gatehouse.DenyAccess("Please register with a permanent e-mail address.")
	}
	gatehouse.Log("registration allowed from", e.Request.IP)
	return nil
}
`,
	},
	abi.TriggerPostAuthentication: {
		Const: "TriggerPostAuthentication", Event: "PostAuthenticationEvent", Binding: abi.BindingAuth,
		DefaultName: "Block sign-ins from listed networks", Imports: []string{"net/netip"},
		Summary: "It refuses sign-ins from listed networks (kinde.auth → DenyAccess).",
		Body: `// blockedNetworks are networks whose sign-ins are refused
// (203.0.113.0/24 is a documentation range: replace it with your own).
var blockedNetworks = []netip.Prefix{
	netip.MustParsePrefix("203.0.113.0/24"),
}

// handle refuses sign-ins from blockedNetworks and notes first sign-ins.
func handle(e *gatehouse.PostAuthenticationEvent) error {
	if e.Context.Auth.IsNewUserRecordCreated {
		gatehouse.Log("first sign-in of user", e.Context.User.ID)
	}
	ip, err := netip.ParseAddr(e.Request.IP)
	if err != nil {
		gatehouse.Warn("the event has no usable client IP:", e.Request.IP)
		return nil
	}
	for _, n := range blockedNetworks {
		if n.Contains(ip) {
			return gatehouse.DenyAccess("Signing in from this network is not allowed.")
		}
	}
	return nil
}
`,
	},
	abi.TriggerNewPasswordProvided: {
		Const: "TriggerNewPasswordProvided", Event: "NewPasswordProvidedEvent", Binding: abi.BindingWidget,
		DefaultName: "Password policy", Imports: []string{"fmt", "strings", "unicode/utf8"},
		Summary: "It adds a password policy on top of Gatehouse's checks (kinde.widget → InvalidateFormField).",
		Body: `// minLength is the shortest password accepted (Gatehouse itself asks for 8).
const minLength = 12

// handle rejects new passwords that are too short, have no digit, or do not
// match their confirmation. Never log the passwords.
func handle(e *gatehouse.NewPasswordProvidedEvent) error {
	pw := e.Context.Auth.FirstPassword
	switch {
	case utf8.RuneCountInString(pw) < minLength:
		return gatehouse.InvalidateFormField("p_first_password", fmt.Sprintf("Use at least %d characters.", minLength))
	case !strings.ContainsAny(pw, "0123456789"):
		return gatehouse.InvalidateFormField("p_first_password", "Include at least one digit.")
	case e.Context.Auth.SecondPassword != "" && e.Context.Auth.SecondPassword != pw:
		return gatehouse.InvalidateFormField("p_second_password", "The passwords do not match.")
	}
	return nil
}
`,
	},
	abi.TriggerExistingPasswordProvided: {
		Const: "TriggerExistingPasswordProvided", Event: "ExistingPasswordProvidedEvent", Binding: abi.BindingWidget,
		DefaultName: "Retired password sign-ins", Imports: []string{"strings"},
		Summary: "It stops password sign-ins for retired e-mail domains (kinde.widget → InvalidateFormField).",
		Body: `// retiredDomains are e-mail domains whose users must sign in another way.
var retiredDomains = map[string]bool{
	"legacy.example.com": true,
}

// handle rejects password sign-ins for retiredDomains. Never log the password.
func handle(e *gatehouse.ExistingPasswordProvidedEvent) error {
	_, domain, _ := strings.Cut(strings.ToLower(e.Context.Auth.ProvidedEmail), "@")
	if retiredDomains[domain] {
		return gatehouse.InvalidateFormField("p_password", "Sign in with your company account instead.")
	}
	if !e.Context.Auth.HasUserRecordInKinde {
		// A user Gatehouse does not know yet: a drip-feed migration would
		// check the password against the old system here, with secureFetch.
		gatehouse.Log("password sign-in by a user who is not migrated yet")
	}
	return nil
}
`,
	},
	abi.TriggerPreMFA: {
		Const: "TriggerPreMFA", Event: "PreMFAEvent", Binding: abi.BindingMFA,
		DefaultName: "Require MFA", Imports: nil,
		Summary: "It requires MFA unless the user's role or connection is exempt (kinde.mfa → SetEnforcementPolicy).",
		Body: `// handle requires MFA, whatever the environment's policy says, unless the
// user's role or connection is exempt.
func handle(e *gatehouse.PreMFAEvent) error {
	mfa := e.Context.MFA
	if mfa.IsUserRoleExempt || mfa.IsUserConnectionExempt {
		gatehouse.Log("MFA skipped: the user's role or connection is exempt")
		return gatehouse.SetEnforcementPolicy(gatehouse.MFASkip)
	}
	gatehouse.Logf("MFA required for user %s (policy was %q)", e.Context.User.ID, mfa.Policy)
	return gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)
}
`,
	},
	abi.TriggerTokensGeneration: {
		Const: "TriggerTokensGeneration", Event: "TokensGenerationEvent", Binding: abi.BindingAccessToken,
		DefaultName: "Custom access token claims", Imports: nil,
		Summary: "It adds custom claims to the access token (kinde.accessToken → AccessTokenClaims().Set).",
		Body: `// handle adds the client IP and the origin of the token request to the
// access token. Reserved claims (exp, iss, sub, aud…) cannot be set.
func handle(e *gatehouse.TokensGenerationEvent) error {
	claims := gatehouse.AccessTokenClaims()
	if err := claims.Set("client_ip", e.Request.IP); err != nil {
		return err
	}
	if err := claims.Set("auth_origin", e.Context.Auth.Origin); err != nil {
		return err
	}
	gatehouse.Log("custom claims added for user", e.Context.User.ID)
	return nil
}
`,
	},
	abi.TriggerM2MTokenGeneration: {
		Const: "TriggerM2MTokenGeneration", Event: "M2MTokenGenerationEvent", Binding: abi.BindingM2MToken,
		DefaultName: "M2M tenant claim", Imports: nil,
		Summary: "It adds the tenant an M2M application acts for to its token (kinde.m2mToken → M2MTokenClaims().Set).",
		Body: `// tenants maps M2M application client IDs to the organization they act for.
var tenants = map[string]string{
	"299627bd8bfa493f8b17e6aec8ebfb86": "org_123456",
}

// handle adds a "tenant" claim to tokens of the applications in tenants.
func handle(e *gatehouse.M2MTokenGenerationEvent) error {
	tenant, ok := tenants[e.Context.Application.ClientID]
	if !ok {
		gatehouse.Log("no tenant for application", e.Context.Application.ClientID)
		return nil
	}
	return gatehouse.M2MTokenClaims().Set("tenant", tenant)
}
`,
	},
	abi.TriggerPlanSelection: {
		Const: "TriggerPlanSelection", Event: "PlanSelectionEvent", Binding: abi.BindingPlan,
		DefaultName: "Guard downgrades", Imports: nil,
		Summary: "It refuses moving from a paid plan to the free plan (kinde.plan → DenyPlanSelection).",
		Body: `// freePlan is the code of the free plan.
const freePlan = "free"

// handle refuses downgrades to the free plan, with suggestions.
func handle(e *gatehouse.PlanSelectionEvent) error {
	b := e.Context.Billing
	if b.RequestedPlanCode == freePlan && b.CurrentPlanCode != freePlan {
		return gatehouse.DenyPlanSelection("Your usage is above the free plan's limits.",
			"Remove the projects above the free limit first", "Contact support to downgrade")
	}
	return nil
}
`,
	},
	abi.TriggerPlanCancellationRequest: {
		Const: "TriggerPlanCancellationRequest", Event: "PlanCancellationRequestEvent", Binding: abi.BindingPlan,
		DefaultName: "Minimum term plans", Imports: nil,
		Summary: "It refuses cancelling plans that have a minimum term (kinde.plan → DenyPlanCancellation).",
		Body: `// minimumTermPlans are plans that cannot be cancelled before their term ends.
var minimumTermPlans = map[string]bool{
	"pro": true,
}

// handle refuses cancellations of minimumTermPlans.
func handle(e *gatehouse.PlanCancellationRequestEvent) error {
	if minimumTermPlans[e.Context.Billing.CurrentPlanCode] {
		return gatehouse.DenyPlanCancellation("Your plan has a minimum term: contact support to cancel it.")
	}
	return nil
}
`,
	},
}

// scaffoldData fills the templates.
type scaffoldData struct {
	scaffold
	Trigger abi.Trigger
	ID      string
	Name    string
	Module  string
	SDKPath string
	Dir     string // as the user typed it, for the README commands
}

var mainTemplate = template.Must(template.New("main.go").Funcs(template.FuncMap{"comment": comment}).Parse(`{{comment (printf "Command %s is the Gatehouse workflow %q, run on %s." .Module .ID .Trigger)}}
//
{{comment .Summary}}
//
// It compiles to a WebAssembly module (gatehouse wf build). The settings
// below are what Gatehouse checks at deploy time: a binding the code uses
// must be declared in Bindings.
package main

import (
{{- range .Imports}}
	"{{.}}"
{{- end}}
{{- if .Imports}}
{{end}}
	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// settings are the workflow's settings (Kinde's workflowSettings).
var settings = gatehouse.Settings{
	ID:      {{printf "%q" .ID}},
	Name:    {{printf "%q" .Name}},
	Trigger: gatehouse.{{.Const}},
	// FailStop aborts the flow when the workflow fails; FailContinue
	// carries on as if it had not run.
	FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailStop},
	Bindings: gatehouse.Bindings{
		{{printf "%q" .Binding}}: {},
	},
}

func init() { gatehouse.Register(settings, handle) }

{{.Body}}
// main is empty: Gatehouse calls the registered handler, once per event.
func main() {}
`))

var goModTemplate = template.Must(template.New("go.mod").Parse(`module {{.Module}}

go 1.24

require {{.SDKModule}} v0.0.0

replace {{.SDKModule}} => {{.SDKPath}}
`))

var readmeTemplate = template.Must(template.New("README.md").Parse("# {{.Name}}\n\n" +
	"A Gatehouse workflow for the `{{.Trigger}}` trigger. {{.Summary}}\n\n" +
	"- `main.go` — the workflow: its settings and its handler.\n" +
	"- `event.json` — a sample `{{.Trigger}}` event to test it with.\n\n" +
	"## Next steps\n\n" +
	"```sh\n" +
	"# run it locally, in the same engine the worker uses, and see its decision\n" +
	"gatehouse wf test {{.Dir}} --event {{.Dir}}/event.json\n\n" +
	"# compile it to WebAssembly (workflow.wasm)\n" +
	"gatehouse wf build {{.Dir}}\n\n" +
	"# with Gatehouse running (make run, or gatehouse serve): deploy it and make it live\n" +
	"gatehouse wf deploy {{.Dir}}\n" +
	"gatehouse wf list\n\n" +
	"# fire the trigger the way the front door does and see the decision\n" +
	"gatehouse wf fire {{.Trigger}} --event {{.Dir}}/event.json\n" +
	"```\n\n" +
	"Environment variables for `GetEnvironmentVariable` (binding `kinde.env`) can be\n" +
	"given to `gatehouse wf test` in dotenv files: `--env vars.env` for plain values,\n" +
	"`--secret-env secrets.env` for secrets (redacted from the console output).\n" +
	"Run `gatehouse wf help` for every command.\n"))

// comment wraps text into // comment lines of at most 76 columns.
func comment(text string) string {
	var lines []string
	line := "//"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 76 && line != "//" {
			lines = append(lines, line)
			line = "//"
		}
		line += " " + w
	}
	return strings.Join(append(lines, line), "\n")
}
