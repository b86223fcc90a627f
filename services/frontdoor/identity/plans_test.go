package identity_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestPlans(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}

	pro, err := s.CreatePlan(ctx, identity.NewPlan{Env: env, Code: "pro", Name: "Pro", Description: "For teams", Position: 2})
	if err != nil {
		t.Fatal(err)
	}
	if pro.Code != "pro" || pro.Name != "Pro" || pro.Description != "For teams" || pro.Position != 2 || pro.Default || pro.Env != env {
		t.Fatalf("created plan = %+v", pro)
	}
	if _, err := s.CreatePlan(ctx, identity.NewPlan{Env: env, Code: "free", Name: "Free", Position: 1, Default: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePlan(ctx, identity.NewPlan{Env: "staging", Code: "pro", Name: "Staging pro"}); err != nil {
		t.Fatalf("the same code in another environment: %v", err)
	}

	_, err = s.CreatePlan(ctx, identity.NewPlan{Env: env, Code: "pro", Name: "Pro again"})
	wantErr(t, err, identity.ErrAlreadyExists)
	_, err = s.CreatePlan(ctx, identity.NewPlan{Env: env, Code: "basic", Name: "Basic", Default: true})
	wantErr(t, err, identity.ErrAlreadyExists)
	if err == nil || !strings.Contains(err.Error(), "default plan") {
		t.Fatalf("second default plan: %v", err)
	}
	for _, np := range []identity.NewPlan{
		{Env: env, Code: "Pro", Name: "Upper case"},
		{Env: env, Code: "", Name: "Empty"},
		{Env: env, Code: "a b", Name: "Space"},
		{Env: env, Code: "ok", Name: "  "},
		{Env: env, Code: "ok", Name: "Long description", Description: strings.Repeat("x", 1025)},
		{Env: "Bad Env", Code: "ok", Name: "Bad environment"},
	} {
		_, err := s.CreatePlan(ctx, np)
		wantErr(t, err, identity.ErrInvalid)
	}
	_, err = s.CreatePlan(ctx, identity.NewPlan{Env: "nowhere", Code: "ok", Name: "No environment"})
	wantErr(t, err, identity.ErrNotFound)

	list, err := s.ListPlans(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Code != "free" || list[1].Code != "pro" {
		t.Fatalf("ListPlans = %+v, want free then pro (by position)", list)
	}
	got, err := s.GetPlan(ctx, env, "pro")
	if err != nil || *got != *pro {
		t.Fatalf("GetPlan = %+v, %v; want %+v", got, err, pro)
	}
	_, err = s.GetPlan(ctx, env, "gold")
	wantErr(t, err, identity.ErrNotFound)
	def, err := s.DefaultPlan(ctx, env)
	if err != nil || def.Code != "free" {
		t.Fatalf("DefaultPlan = %+v, %v", def, err)
	}
	_, err = s.DefaultPlan(ctx, "staging")
	wantErr(t, err, identity.ErrNotFound)
}

func TestAgreements(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	for _, np := range []identity.NewPlan{
		{Env: env, Code: "free", Name: "Free", Default: true},
		{Env: env, Code: "pro", Name: "Pro"},
	} {
		if _, err := s.CreatePlan(ctx, np); err != nil {
			t.Fatal(err)
		}
	}
	u := mustCreateUser(t, s, env, "ann@example.com")

	_, err := s.ActiveAgreement(ctx, env, u.ID)
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.LatestAgreement(ctx, env, u.ID)
	wantErr(t, err, identity.ErrNotFound)

	a, err := s.AssignDefaultPlan(ctx, env, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a == nil || !strings.HasPrefix(a.ID, "agreement_") || len(a.ID) != len("agreement_")+32 ||
		a.PlanCode != "free" || a.Status != identity.AgreementActive || a.CancelledAt != nil || a.UserID != u.ID {
		t.Fatalf("default agreement = %+v", a)
	}
	if again, err := s.AssignDefaultPlan(ctx, env, u.ID); err != nil || again != nil {
		t.Fatalf("second default assignment = %+v, %v; want nothing", again, err)
	}

	changed, err := s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: u.ID, PlanCode: "pro", From: a})
	if err != nil {
		t.Fatal(err)
	}
	if changed.ID != a.ID || changed.PlanCode != "pro" || changed.Status != identity.AgreementActive {
		t.Fatalf("changed agreement = %+v", changed)
	}
	// A change decided on the old state is refused.
	_, err = s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: u.ID, PlanCode: "free", From: a})
	wantErr(t, err, identity.ErrAgreementChanged)
	_, err = s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: u.ID, PlanCode: "free"})
	wantErr(t, err, identity.ErrAgreementChanged)
	_, err = s.CancelAgreement(ctx, env, u.ID, a)
	wantErr(t, err, identity.ErrAgreementChanged)
	_, err = s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: u.ID, PlanCode: "gold", From: changed})
	wantErr(t, err, identity.ErrNotFound)
	if err == nil || !strings.Contains(err.Error(), `plan "gold"`) {
		t.Fatalf("unknown plan: %v", err)
	}
	if cur, err := s.ActiveAgreement(ctx, env, u.ID); err != nil || cur.PlanCode != "pro" {
		t.Fatalf("after refused changes: %+v, %v; want still pro", cur, err)
	}

	cancelled, err := s.CancelAgreement(ctx, env, u.ID, changed)
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.Status != identity.AgreementCancelled || cancelled.CancelledAt == nil || cancelled.PlanCode != "pro" {
		t.Fatalf("cancelled agreement = %+v", cancelled)
	}
	_, err = s.ActiveAgreement(ctx, env, u.ID)
	wantErr(t, err, identity.ErrNotFound)
	latest, err := s.LatestAgreement(ctx, env, u.ID)
	if err != nil || latest.ID != a.ID || latest.Status != identity.AgreementCancelled {
		t.Fatalf("LatestAgreement after cancel = %+v, %v", latest, err)
	}

	// Choosing a plan again starts a new agreement.
	fresh, err := s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: u.ID, PlanCode: "pro"})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ID == a.ID || fresh.Status != identity.AgreementActive {
		t.Fatalf("new agreement = %+v", fresh)
	}
	if latest, err := s.LatestAgreement(ctx, env, u.ID); err != nil || latest.ID != fresh.ID {
		t.Fatalf("LatestAgreement = %+v, %v; want the new one", latest, err)
	}

	_, err = s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: "kp_nobody", PlanCode: "pro"})
	wantErr(t, err, identity.ErrNotFound)

	// Deleting the user deletes its agreements.
	if err := s.DeleteUser(ctx, env, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.LatestAgreement(ctx, env, u.ID)
	wantErr(t, err, identity.ErrNotFound)
}

// TestConcurrentPlanChangesOneWins: of two changes decided on the same
// state (no agreement, then an active one), exactly one applies.
func TestConcurrentPlanChangesOneWins(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	for _, code := range []string{"free", "pro", "team"} {
		if _, err := s.CreatePlan(ctx, identity.NewPlan{Env: env, Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	race := func(userID string, from *identity.Agreement) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, code := range []string{"pro", "team"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: userID, PlanCode: code, From: from})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("from %+v: errors %v; want exactly one change to apply", from, errs)
		}
		for _, err := range errs {
			if err != nil {
				wantErr(t, err, identity.ErrAgreementChanged)
			}
		}
	}
	race(mustCreateUser(t, s, env, "new@example.com").ID, nil)
	u := mustCreateUser(t, s, env, "free@example.com")
	free, err := s.ChangePlan(ctx, identity.PlanChange{Env: env, UserID: u.ID, PlanCode: "free"})
	if err != nil {
		t.Fatal(err)
	}
	race(u.ID, free)
}
