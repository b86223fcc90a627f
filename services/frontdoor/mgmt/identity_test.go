package mgmt_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
)

func testApplications(t *testing.T, h *harness) {
	tok := h.token(t, defaultEnv, mgmt.ScopeReadApplications, mgmt.ScopeWriteApplications)

	a := h.do(t, call{token: tok, method: "POST", path: "/applications", json: map[string]any{
		"name": "Billing sync", "type": "m2m", "audiences": []string{"https://billing.example"}, "scopes": []string{"read:invoices"}}})
	want(t, a, http.StatusCreated, "")
	var created mgmt.ApplicationWithSecret
	a.decode(t, &created)
	if created.ClientSecret == "" || created.Type != "m2m" || created.GrantTypes[0] != "client_credentials" {
		t.Fatalf("created %+v", created)
	}
	// The secret works, once shown.
	h.clientCredentials(t, defaultEnv, created.ClientID, created.ClientSecret, "https://billing.example", "read:invoices")

	spa := h.do(t, call{token: tok, method: "POST", path: "/applications", json: map[string]any{
		"name": "Web", "type": "spa", "redirectUris": []string{"https://web.example/cb"}}})
	want(t, spa, http.StatusCreated, "")
	var spaApp mgmt.ApplicationWithSecret
	spa.decode(t, &spaApp)
	if spaApp.ClientSecret != "" {
		t.Fatal("a public client got a secret")
	}

	var listed struct{ Applications []mgmt.Application }
	h.do(t, call{token: tok, method: "GET", path: "/applications"}).decode(t, &listed)
	found := 0
	for _, app := range listed.Applications {
		if app.ClientID == created.ClientID || app.ClientID == spaApp.ClientID {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("list %+v", listed)
	}

	var got mgmt.Application
	h.do(t, call{token: tok, method: "GET", path: "/applications/" + created.ClientID}).decode(t, &got)
	if got.Name != "Billing sync" || got.Audiences[0] != "https://billing.example" {
		t.Fatalf("get %+v", got)
	}

	a = h.do(t, call{token: tok, method: "PATCH", path: "/applications/" + created.ClientID,
		json: map[string]any{"name": "Billing sync v2", "scopes": []string{"read:invoices", "write:invoices"}}})
	want(t, a, http.StatusOK, "")
	a.decode(t, &got)
	if got.Name != "Billing sync v2" || len(got.Scopes) != 2 || got.Audiences[0] != "https://billing.example" {
		t.Fatalf("update %+v", got)
	}

	// A new secret replaces the old one at once.
	a = h.do(t, call{token: tok, method: "POST", path: "/applications/" + created.ClientID + "/rotate_secret"})
	want(t, a, http.StatusOK, "")
	var rotated mgmt.ClientSecret
	a.decode(t, &rotated)
	if rotated.ClientSecret == created.ClientSecret || rotated.ClientID != created.ClientID {
		t.Fatalf("rotated %+v", rotated)
	}
	h.clientCredentials(t, defaultEnv, created.ClientID, rotated.ClientSecret, "https://billing.example", "")
	want(t, h.do(t, call{token: tok, method: "POST", path: "/applications/" + spaApp.ClientID + "/rotate_secret"}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)

	// Bad values name the field; nothing is created.
	a = h.do(t, call{token: tok, method: "POST", path: "/applications", json: map[string]any{"name": "Bad", "type": "regular",
		"redirectUris": []string{"http://evil.example/cb"}}})
	want(t, a, http.StatusBadRequest, mgmt.CodeInvalidRequest)
	a = h.do(t, call{token: tok, method: "POST", path: "/applications", json: map[string]any{"name": "Bad", "type": "desktop"}, offSpec: true})
	want(t, a, http.StatusBadRequest, mgmt.CodeInvalidRequest)
	var after struct{ Applications []mgmt.Application }
	h.do(t, call{token: tok, method: "GET", path: "/applications"}).decode(t, &after)
	if len(after.Applications) != len(listed.Applications) {
		t.Fatalf("a refused create left an application: %d → %d", len(listed.Applications), len(after.Applications))
	}

	want(t, h.do(t, call{token: tok, method: "DELETE", path: "/applications/" + created.ClientID}), http.StatusNoContent, "")
	want(t, h.do(t, call{token: tok, method: "GET", path: "/applications/" + created.ClientID}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{token: tok, method: "DELETE", path: "/applications/" + created.ClientID}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{token: tok, method: "PATCH", path: "/applications/0123456789abcdef0123456789abcdef",
		json: map[string]any{"name": "x"}}), http.StatusNotFound, mgmt.CodeNotFound)
}

func testUsers(t *testing.T, h *harness) {
	tok := h.token(t, defaultEnv, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers)
	var ids []string
	for i := range 5 {
		a := h.do(t, call{token: tok, method: "POST", path: "/users", json: map[string]any{
			"email": fmt.Sprintf("Person%d@Example.com", i), "givenName": "Ann", "familyName": fmt.Sprint(i)}})
		want(t, a, http.StatusCreated, "")
		var u mgmt.User
		a.decode(t, &u)
		if u.Email != fmt.Sprintf("person%d@example.com", i) || u.EmailVerified || u.LastSignInAt != nil {
			t.Fatalf("created %+v", u)
		}
		ids = append(ids, u.ID)
	}
	// With a password, which signs in.
	a := h.do(t, call{token: tok, method: "POST", path: "/users", json: map[string]any{
		"email": "withpw@example.com", "emailVerified": true, "password": "correct horse battery staple"}})
	want(t, a, http.StatusCreated, "")
	var pw mgmt.User
	a.decode(t, &pw)
	if _, err := h.ids.VerifyPassword(testContext(t), defaultEnv, "withpw@example.com", "correct horse battery staple"); err != nil {
		t.Fatalf("the password was not set: %v", err)
	}
	ids = append(ids, pw.ID)

	// A refused password creates nobody; a taken email is a conflict.
	a = h.do(t, call{token: tok, method: "POST", path: "/users", json: map[string]any{"email": "weak@example.com", "password": "password"}})
	want(t, a, http.StatusBadRequest, mgmt.CodeInvalidRequest)
	want(t, h.do(t, call{token: tok, method: "POST", path: "/users", json: map[string]any{"email": "PERSON0@example.com"}}),
		http.StatusConflict, mgmt.CodeConflict)
	want(t, h.do(t, call{token: tok, method: "POST", path: "/users", json: map[string]any{"email": "not an email"}}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)

	// Pages of two, in id order (ids are time-ordered to the millisecond,
	// then random), until the cursor runs out.
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		path := "/users?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var page mgmt.UserList
		h.do(t, call{token: tok, method: "GET", path: path}).decode(t, &page)
		for _, u := range page.Users {
			seen = append(seen, u.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if byID := slices.Sorted(slices.Values(ids)); fmt.Sprint(seen) != fmt.Sprint(byID) {
		t.Fatalf("paged users %v, want %v", seen, byID)
	}
	for _, q := range []string{"?limit=0", "?limit=501", "?limit=x", "?page=2"} {
		want(t, h.do(t, call{token: tok, method: "GET", path: "/users" + q, offSpec: q != "?page=2"}), http.StatusBadRequest, mgmt.CodeInvalidRequest)
	}

	var u mgmt.User
	h.do(t, call{token: tok, method: "GET", path: "/users/" + ids[0]}).decode(t, &u)
	if u.FamilyName != "0" {
		t.Fatalf("get %+v", u)
	}
	a = h.do(t, call{token: tok, method: "PATCH", path: "/users/" + ids[0], json: map[string]any{"givenName": "Bea", "emailVerified": true}})
	want(t, a, http.StatusOK, "")
	a.decode(t, &u)
	if u.GivenName != "Bea" || !u.EmailVerified || u.FamilyName != "0" {
		t.Fatalf("update %+v", u)
	}
	want(t, h.do(t, call{token: tok, method: "PATCH", path: "/users/" + ids[0], json: map[string]any{"email": "person1@example.com"}}),
		http.StatusConflict, mgmt.CodeConflict)

	want(t, h.do(t, call{token: tok, method: "DELETE", path: "/users/" + ids[0]}), http.StatusNoContent, "")
	want(t, h.do(t, call{token: tok, method: "GET", path: "/users/" + ids[0]}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{token: tok, method: "DELETE", path: "/users/kp_00000000000000000000000000000000"}), http.StatusNotFound, mgmt.CodeNotFound)
}

func testOrganizations(t *testing.T, h *harness) {
	tok := h.token(t, defaultEnv, mgmt.ScopeReadOrganizations, mgmt.ScopeWriteOrganizations)
	user, err := h.ids.CreateUser(testContext(t), identityUser("member@example.com"))
	if err != nil {
		t.Fatal(err)
	}

	a := h.do(t, call{token: tok, method: "POST", path: "/organizations", json: map[string]any{"name": "Acme"}})
	want(t, a, http.StatusCreated, "")
	var org mgmt.Organization
	a.decode(t, &org)
	want(t, h.do(t, call{token: tok, method: "POST", path: "/organizations", json: map[string]any{"name": " "}}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)

	var list struct{ Organizations []mgmt.Organization }
	h.do(t, call{token: tok, method: "GET", path: "/organizations"}).decode(t, &list)
	if len(list.Organizations) != 1 || list.Organizations[0].Code != org.Code {
		t.Fatalf("list %+v", list)
	}
	a = h.do(t, call{token: tok, method: "PATCH", path: "/organizations/" + org.Code, json: map[string]any{"name": "Acme Inc"}})
	want(t, a, http.StatusOK, "")
	h.do(t, call{token: tok, method: "GET", path: "/organizations/" + org.Code}).decode(t, &org)
	if org.Name != "Acme Inc" {
		t.Fatalf("renamed %+v", org)
	}

	members := "/organizations/" + org.Code + "/members"
	a = h.do(t, call{token: tok, method: "PUT", path: members + "/" + user.ID, json: map[string]any{"roles": []string{"admin", "billing"}}})
	want(t, a, http.StatusOK, "")
	a = h.do(t, call{token: tok, method: "PUT", path: members + "/" + user.ID, json: map[string]any{"roles": []string{"viewer"}}})
	want(t, a, http.StatusOK, "")
	var ms struct{ Members []mgmt.Member }
	h.do(t, call{token: tok, method: "GET", path: members}).decode(t, &ms)
	if len(ms.Members) != 1 || ms.Members[0].UserID != user.ID || fmt.Sprint(ms.Members[0].Roles) != "[viewer]" {
		t.Fatalf("members %+v", ms)
	}
	want(t, h.do(t, call{token: tok, method: "PUT", path: members + "/kp_00000000000000000000000000000000", json: map[string]any{"roles": []string{}}}),
		http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{token: tok, method: "PUT", path: members + "/" + user.ID, json: map[string]any{"roles": []string{""}}, offSpec: true}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)
	want(t, h.do(t, call{token: tok, method: "DELETE", path: members + "/" + user.ID}), http.StatusNoContent, "")
	want(t, h.do(t, call{token: tok, method: "DELETE", path: members + "/" + user.ID}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{token: tok, method: "GET", path: "/organizations/org_00000000000000000000000000000000/members"}), http.StatusNotFound, mgmt.CodeNotFound)

	want(t, h.do(t, call{token: tok, method: "DELETE", path: "/organizations/" + org.Code}), http.StatusNoContent, "")
	want(t, h.do(t, call{token: tok, method: "GET", path: "/organizations/" + org.Code}), http.StatusNotFound, mgmt.CodeNotFound)
}
