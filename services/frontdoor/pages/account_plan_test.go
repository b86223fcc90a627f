package pages

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAccountPlanFormsAndEscaping(t *testing.T) {
	rec := httptest.NewRecorder()
	Render(rec, 403, AccountPlan{Action: "https://id.example/account/plan", CSRF: "tok", Email: "ann@example.com",
		Current: &PlanOption{Code: "pro", Name: "Pro <b>", Description: "For teams"},
		Plans:   []PlanOption{{Code: "free", Name: "Free"}, {Code: "team", Name: "Team", Description: "<i>More</i>"}},
		Error:   "You can't <b>downgrade</b>", Suggestions: []string{"Remove <script>x</script>", "Choose starter"}})
	body := rec.Body.String()
	if rec.Code != 403 || rec.Header().Get("Cache-Control") != "no-store" || !strings.Contains(body, "<title>Your plan</title>") {
		t.Fatalf("response %d %v\n%s", rec.Code, rec.Header(), body)
	}
	for _, bad := range []string{"<b>", "<script>", "<i>More"} {
		if strings.Contains(body, bad) {
			t.Errorf("unescaped %q in\n%s", bad, body)
		}
	}
	// One cancel form and one form per other plan, each with the token.
	if n := strings.Count(body, `<form method="post" action="https://id.example/account/plan"`); n != 3 {
		t.Errorf("%d forms, want 3:\n%s", n, body)
	}
	if n := strings.Count(body, `<input type="hidden" name="csrf_token" value="tok">`); n != 3 {
		t.Errorf("%d CSRF fields, want 3:\n%s", n, body)
	}
	for _, want := range []string{`<input type="hidden" name="action" value="cancel">`, `>Cancel plan</button>`,
		`<input type="hidden" name="plan" value="free">`, `<input type="hidden" name="plan" value="team">`,
		`aria-label="Choose Team">Choose</button>`, `<p><strong>Pro &lt;b&gt;</strong></p>`, `role="alert"`,
		`<li>Remove &lt;script&gt;x&lt;/script&gt;</li>`, `<li>Choose starter</li>`, "Signed in as ann@example.com."} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `name="plan" value="pro"`) {
		t.Errorf("the current plan is offered:\n%s", body)
	}

	rec = httptest.NewRecorder()
	Render(rec, 200, AccountPlan{Action: "/account/plan", CSRF: "tok", Plans: []PlanOption{{Code: "free", Name: "Free"}},
		Notice: "Your plan is cancelled."})
	body = rec.Body.String()
	if !strings.Contains(body, "You have no plan.") || strings.Contains(body, "Cancel plan") ||
		!strings.Contains(body, `<p role="status" id="plan-notice">Your plan is cancelled.</p>`) || strings.Contains(body, `role="alert"`) {
		t.Fatalf("page without a plan:\n%s", body)
	}
}
