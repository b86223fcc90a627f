package api

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Redacted replaces a secret wherever it appears in a decision.
const Redacted = "[redacted]"

// minRedactedForm keeps an escaped form of a secret from being so short that
// replacing it would mangle unrelated text.
const minRedactedForm = 3

// Redact replaces every occurrence of each secret in the decision's text —
// console lines, error message, denial reasons and suggestions, form errors
// (field names too), and the names of claims and dropped claims — with
// Redacted, and adds the number of replacements to d.Redactions. A secret is
// also found in the forms a workflow produces when it logs it inside JSON
// (escaped, with and without HTML escaping) or quoted with %q. Claim values
// are the workflow's output and stay as set. Empty secrets are ignored.
func (d *Decision) Redact(secrets ...string) {
	forms := redactionForms(secrets)
	if len(forms) == 0 {
		return
	}
	r := func(s string) string {
		for _, f := range forms {
			if n := strings.Count(s, f); n > 0 {
				d.Redactions += n
				s = strings.ReplaceAll(s, f, Redacted)
			}
		}
		return s
	}
	for i := range d.Console {
		d.Console[i].Text = r(d.Console[i].Text)
	}
	if d.Error != nil {
		d.Error.Message = r(d.Error.Message)
	}
	if d.Denied != nil {
		d.Denied.Reason = r(d.Denied.Reason)
	}
	if d.PlanDenied != nil {
		d.PlanDenied.Reason = r(d.PlanDenied.Reason)
		for i := range d.PlanDenied.Suggestions {
			d.PlanDenied.Suggestions[i] = r(d.PlanDenied.Suggestions[i])
		}
	}
	if len(d.FormErrors) > 0 {
		fe := make(map[string]string, len(d.FormErrors))
		for k, v := range d.FormErrors {
			fe[r(k)] = r(v)
		}
		d.FormErrors = fe
	}
	for i := range d.DroppedClaims {
		d.DroppedClaims[i] = r(d.DroppedClaims[i])
	}
	for _, m := range []map[string]json.RawMessage{d.AccessTokenClaims, d.IDTokenClaims, d.M2MTokenClaims} {
		for k, v := range m {
			if rk := r(k); rk != k {
				delete(m, k)
				m[rk] = v
			}
		}
	}
}

// redactionForms returns each secret with its escaped forms, longest first so
// that a longer form is replaced before a shorter one inside it.
func redactionForms(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if len(f) >= minRedactedForm && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s)
		if js, err := json.Marshal(s); err == nil { // Go's default: <, >, & as \u003c…
			add(string(js[1 : len(js)-1]))
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // JSON.stringify and most encoders
		if enc.Encode(s) == nil {
			js := bytes.TrimSpace(b.Bytes())
			add(string(js[1 : len(js)-1]))
		}
		q := strconv.Quote(s) // %q, as in url.Error
		add(q[1 : len(q)-1])
	}
	// Longest first: an escaped form containing the plain one goes first.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
