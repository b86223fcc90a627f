package api

import "strings"

// Redacted replaces a secret wherever it appears in a decision.
const Redacted = "[redacted]"

// Redact replaces every occurrence of each secret in the decision's text
// (console lines, error message, denial reasons, form errors) with Redacted,
// and adds the number of replacements to d.Redactions. Empty secrets are
// ignored.
func (d *Decision) Redact(secrets ...string) {
	live := secrets[:0:0]
	for _, s := range secrets {
		if s != "" {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		return
	}
	r := func(s string) string {
		for _, sec := range live {
			if n := strings.Count(s, sec); n > 0 {
				d.Redactions += n
				s = strings.ReplaceAll(s, sec, Redacted)
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
	}
	for k, v := range d.FormErrors {
		d.FormErrors[k] = r(v)
	}
}
