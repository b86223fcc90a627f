package mfa_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/mfa"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// TestPruneUnverifiedFactors: the prune loop deletes a factor left
// unverified for longer than UnverifiedFactorTTL, with its encrypted
// secret and its challenges, by the service's clock; a younger unverified
// factor stays, and verified factors (backup codes too) stay however old.
func TestPruneUnverifiedFactors(t *testing.T) {
	h := newHarness(t, func(c *mfa.Config) { c.PruneInterval = 20 * time.Millisecond })
	const user = "user_prune"

	// At the start: an app and a phone never verified, a phone verified,
	// backup codes.
	oldApp := h.enrollTOTP(user).Factor.ID
	oldPhone := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15550000031"}).Factor.ID
	verified := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15550000032"}).Factor.ID
	c := h.mustChallenge(user, verified)
	if r := h.mustVerify(user, c.ID, h.lastSMSCode()); !r.Valid {
		t.Fatalf("first code of %s: %+v", verified, r)
	}
	backup := h.backupCodes(user).Factor.ID

	// 23 hours later: a new app enrolled, and the old factors challenged
	// again (challenges younger than their own retention).
	h.clock.Advance(23 * time.Hour)
	freshApp := h.enrollTOTP(user).Factor.ID
	h.mustChallenge(user, oldApp)
	h.mustChallenge(user, oldPhone)
	if n := h.count(`SELECT count(*) FROM mfa.factors WHERE id = ANY($1)`, []string{oldApp, oldPhone}); n != 2 {
		t.Fatalf("%d of the unverified factors left before they were a day old, want 2", n)
	}

	// 25 hours after the start the old unverified factors are a day old:
	// they go, secret and challenges with them; the rest were looked at by
	// the same pass and stay.
	h.clock.Advance(2 * time.Hour)
	h.waitFor("the old unverified factors pruned", func() bool {
		return h.count(`SELECT count(*) FROM mfa.factors WHERE id = ANY($1)`, []string{oldApp, oldPhone}) == 0
	})
	if n := h.count(`SELECT count(*) FROM mfa.challenges WHERE factor_id = ANY($1)`, []string{oldApp, oldPhone}); n != 0 {
		t.Fatalf("%d challenges of pruned factors remain", n)
	}
	if n := h.count(`SELECT count(*) FROM mfa.factors WHERE secret_ciphertext IS NOT NULL AND id <> $1`, freshApp); n != 0 {
		t.Fatalf("%d encrypted secrets remain besides the fresh app's", n)
	}
	if got, want := h.factorIDs(user), []string{verified, backup, freshApp}; !sameSet(got, want) {
		t.Fatalf("factors left %v, want %v", got, want)
	}
	if _, err := h.challenge(user, oldPhone); err == nil {
		t.Fatal("a pruned factor was challenged")
	}

	// A month on, the fresh app went the same way; verified factors stay.
	h.clock.Advance(30 * 24 * time.Hour)
	h.waitFor("the second unverified factor pruned", func() bool {
		return h.count(`SELECT count(*) FROM mfa.factors WHERE id = $1`, freshApp) == 0
	})
	if got, want := h.factorIDs(user), []string{verified, backup}; !sameSet(got, want) {
		t.Fatalf("factors left %v, want %v", got, want)
	}
	if !strings.Contains(h.logs.String(), "abandoned unverified factors pruned") {
		t.Fatal("the pruning was not logged")
	}
}

// count runs a count(*) query.
func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitFor polls cond for up to ten seconds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// factorIDs lists a user's factors through the service.
func (h *harness) factorIDs(user string) []string {
	h.t.Helper()
	r := must[api.UserRequest, api.FactorsResponse](h.t, h.nc, api.SubjectFactors, api.UserRequest{Env: env, UserID: user})
	ids := make([]string, 0, len(r.Factors))
	for _, f := range r.Factors {
		ids = append(ids, f.ID)
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
