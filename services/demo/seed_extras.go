package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
)

// demoPlans are the plans of the demo environment; the first is the
// default every new user gets.
var demoPlans = []identity.NewPlan{
	{Code: "free", Name: "Free", Description: "For trying things out.", Position: 0, Default: true},
	{Code: "pro", Name: "Pro", Description: "For teams, billed monthly.", Position: 1},
	{Code: "pro_annual", Name: "Pro (annual)", Description: "For teams, billed yearly.", Position: 2},
}

// seedPlans creates the demo plans that are missing and puts the demo
// user on the default plan unless they have one.
func (d *Demo) seedPlans(ctx context.Context, st *state) error {
	ids := d.cfg.Identity
	for _, np := range demoPlans {
		_, err := ids.GetPlan(ctx, env, np.Code)
		if err == nil {
			continue
		}
		if !errors.Is(err, identity.ErrNotFound) {
			return fmt.Errorf("plan %q: %w", np.Code, err)
		}
		np.Env = env
		if _, err := ids.CreatePlan(ctx, np); err != nil {
			return fmt.Errorf("create plan %q: %w", np.Code, err)
		}
	}
	if _, err := ids.AssignDefaultPlan(ctx, env, st.UserID); err != nil {
		return fmt.Errorf("default plan of the demo user: %w", err)
	}
	return nil
}

// seedCLIClient makes sure the management API client of the CLI exists
// and its secret is on file, rotating the secret when the file lost it.
func (d *Demo) seedCLIClient(ctx context.Context, st *state) error {
	ids := d.cfg.Identity
	id, secret, created, err := mgmt.EnsureCLIClient(ctx, ids, env, d.cfg.IssuerURL+"/api")
	if err != nil {
		return fmt.Errorf("management API client: %w", err)
	}
	switch {
	case created:
		st.CLIClientID, st.CLIClientSecret = id, secret
	case st.CLIClientID != id || st.CLIClientSecret == "":
		if secret, err = ids.RotateClientSecret(ctx, env, id); err != nil {
			return fmt.Errorf("management API client secret: %w", err)
		}
		st.CLIClientID, st.CLIClientSecret = id, secret
	}
	return nil
}
