package mgmt

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// CLIClientName is the name of the application EnsureCLIClient manages.
const CLIClientName = "Gatehouse CLI"

// CreateClient registers a machine-to-machine application of env allowed
// to request tokens for the management API (audience) with scopes (every
// management scope when empty), and returns it with its client secret,
// shown this once. It is how the first management client of an install
// comes to exist (gatehouse admin create-client).
func CreateClient(ctx context.Context, ids *identity.Store, env, name, audience string, scopes []string) (*identity.Application, string, error) {
	if len(scopes) == 0 {
		scopes = AllScopes()
	}
	for _, s := range scopes {
		if !KnownScope(s) {
			return nil, "", fmt.Errorf("create management client: %w: unknown scope %q (known: %v)", identity.ErrInvalid, s, allScopes)
		}
	}
	app, secret, err := ids.CreateApplication(ctx, identity.NewApplication{Env: env, Name: name, Type: identity.AppM2M,
		Audiences: []string{audience}, Scopes: scopes})
	if err != nil {
		return nil, "", fmt.Errorf("create management client: %w", err)
	}
	return app, secret, nil
}

// EnsureCLIClient makes sure env has the machine-to-machine application
// named CLIClientName, allowed every management scope for audience (the
// environment's management API), and returns its client id. The secret is
// returned, and created is true, only when the application was created by
// this call: an existing application keeps its secret, which is never
// available again (rotate it through the API to get a new one). The
// development demo calls it to seed a client for `gatehouse wf --url`.
func EnsureCLIClient(ctx context.Context, ids *identity.Store, env, audience string) (clientID, secret string, created bool, err error) {
	apps, err := ids.ListApplications(ctx, env)
	if err != nil {
		return "", "", false, fmt.Errorf("ensure the CLI client: %w", err)
	}
	for _, app := range apps {
		if app.Type != identity.AppM2M || app.Name != CLIClientName {
			continue
		}
		if slices.Contains(app.Audiences, audience) && !slices.ContainsFunc(allScopes, func(s string) bool { return !slices.Contains(app.Scopes, s) }) {
			return app.ClientID, "", false, nil
		}
		// Scopes added since it was made, or a changed audience.
		auds := app.Audiences
		if !slices.Contains(auds, audience) {
			auds = append(slices.Clone(auds), audience)
		}
		scopes := slices.Clone(app.Scopes)
		for _, s := range allScopes {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
		if _, err := ids.UpdateApplication(ctx, env, app.ClientID, identity.ApplicationUpdate{Audiences: &auds, Scopes: &scopes}); err != nil {
			return "", "", false, fmt.Errorf("ensure the CLI client: %w", err)
		}
		return app.ClientID, "", false, nil
	}
	app, secret, err := CreateClient(ctx, ids, env, CLIClientName, audience, nil)
	if err != nil {
		return "", "", false, fmt.Errorf("ensure the CLI client: %w", err)
	}
	return app.ClientID, secret, true, nil
}
