package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestRedactFindsEscapedAndQuotedForms(t *testing.T) {
	secret := `Tr0ub4dor&3<x>"q\z`
	asGoJSON, _ := json.Marshal(map[string]string{"password": secret})
	_, urlErr := url.Parse("http://h/\x7f?k=" + secret)
	d := Decision{
		Console: []ConsoleLine{
			{Level: "info", Text: "plain " + secret},
			{Level: "info", Text: "go json " + string(asGoJSON)},
			{Level: "info", Text: `js json {"password":"Tr0ub4dor&3<x>\"q\\z"}`},
			{Level: "info", Text: fmt.Sprintf("quoted %q", secret)},
			{Level: "error", Text: fmt.Sprint(urlErr)},
		},
		Error:             &ExecError{Code: ErrCodeWorkflow, Message: "failed for " + secret},
		Denied:            &Denial{Reason: "no " + secret},
		PlanDenied:        &PlanDenial{Reason: secret, Suggestions: []string{"try " + secret}},
		FormErrors:        map[string]string{"p_" + secret: "bad " + secret},
		AccessTokenClaims: map[string]json.RawMessage{"c_" + secret: json.RawMessage(`"kept"`)},
		DroppedClaims:     []string{"accessToken:" + secret},
	}
	d.Redact(secret, "")
	all, _ := json.Marshal(d)
	for _, form := range []string{secret, `Tr0ub4dor\u00263\u003cx\u003e`, `Tr0ub4dor&3<x>\"q`, "Tr0ub4dor"} {
		if strings.Contains(string(all), form) {
			t.Errorf("%q survived redaction: %s", form, all)
		}
	}
	if d.Redactions < 12 {
		t.Errorf("Redactions = %d, want every occurrence counted", d.Redactions)
	}
	if string(d.AccessTokenClaims["c_"+Redacted]) != `"kept"` || d.FormErrors["p_"+Redacted] != "bad "+Redacted {
		t.Errorf("claims %v, form errors %v", d.AccessTokenClaims, d.FormErrors)
	}
	if d.Console[0].Text != "plain "+Redacted {
		t.Errorf("console %q", d.Console[0].Text)
	}

	// Short secrets are ignored rather than shredding the text.
	short := Decision{Console: []ConsoleLine{{Text: "a b"}}}
	short.Redact("a")
	if short.Console[0].Text != "a b" || short.Redactions != 0 {
		t.Errorf("short secret: %+v", short)
	}
}
