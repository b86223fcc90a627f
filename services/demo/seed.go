package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// seed makes the application, the user and the organization, reusing
// whatever already exists, and saves the state file.
func (d *Demo) seed(ctx context.Context) error {
	ids := d.cfg.Identity
	st, err := loadState(d.cfg.DataDir)
	if err != nil {
		return err
	}
	if _, err := ids.EnsureDefaultEnvironment(ctx); err != nil {
		return fmt.Errorf("default environment: %w", err)
	}
	if err := d.seedApplication(ctx, &st); err != nil {
		return err
	}
	// Save after each part that generated a secret: it is never shown again.
	if err := saveState(d.cfg.DataDir, st); err != nil {
		return err
	}
	if err := d.seedUser(ctx, &st); err != nil {
		return err
	}
	if err := saveState(d.cfg.DataDir, st); err != nil {
		return err
	}
	if err := d.seedOrganization(ctx, &st); err != nil {
		return err
	}
	if err := d.seedPlans(ctx, &st); err != nil {
		return err
	}
	if err := d.seedCLIClient(ctx, &st); err != nil {
		return err
	}
	if err := saveState(d.cfg.DataDir, st); err != nil {
		return err
	}
	d.state = st
	return nil
}

// seedApplication finds or creates the demo application, keeps its redirect
// URIs pointing at this listener, and makes sure the secret on file is its
// secret.
func (d *Demo) seedApplication(ctx context.Context, st *state) error {
	ids := d.cfg.Identity
	redirect, postLogout := []string{d.base + "/callback"}, []string{d.base}
	var app *identity.Application
	if st.ClientID != "" {
		a, err := ids.GetApplication(ctx, env, st.ClientID)
		switch {
		case errors.Is(err, identity.ErrNotFound):
			st.ClientID, st.ClientSecret = "", ""
		case err != nil:
			return fmt.Errorf("application %q: %w", AppName, err)
		default:
			app = a
		}
	}
	if app == nil {
		apps, err := ids.ListApplications(ctx, env)
		if err != nil {
			return fmt.Errorf("list applications: %w", err)
		}
		for i := range apps {
			if apps[i].Name == AppName && apps[i].Type == identity.AppRegular {
				app = &apps[i]
				break
			}
		}
	}
	if app == nil {
		a, secret, err := ids.CreateApplication(ctx, identity.NewApplication{
			Env: env, Name: AppName, Type: identity.AppRegular, RedirectURIs: redirect, PostLogoutRedirectURIs: postLogout,
		})
		if err != nil {
			return fmt.Errorf("create application %q: %w", AppName, err)
		}
		st.ClientID, st.ClientSecret = a.ClientID, secret
		d.cfg.Logger.Info("demo: created the demo application", "client_id", a.ClientID)
		return nil
	}
	if app.ClientID != st.ClientID || st.ClientSecret == "" {
		// The application exists but its secret is not on file (the state
		// file was removed): a new secret is the only way to learn one.
		secret, err := ids.RotateClientSecret(ctx, env, app.ClientID)
		if err != nil {
			return fmt.Errorf("application %q: new client secret: %w", AppName, err)
		}
		st.ClientID, st.ClientSecret = app.ClientID, secret
	}
	if !slices.Equal(app.RedirectURIs, redirect) || !slices.Equal(app.PostLogoutRedirectURIs, postLogout) {
		if _, err := ids.UpdateApplication(ctx, env, app.ClientID, identity.ApplicationUpdate{
			RedirectURIs: &redirect, PostLogoutRedirectURIs: &postLogout,
		}); err != nil {
			return fmt.Errorf("application %q: update redirect URIs: %w", AppName, err)
		}
	}
	return nil
}

// seedUser finds or creates the demo user and gives it the password on
// file, generating one the first time.
func (d *Demo) seedUser(ctx context.Context, st *state) error {
	ids := d.cfg.Identity
	u, err := ids.GetUserByEmail(ctx, env, Email)
	if errors.Is(err, identity.ErrNotFound) {
		u, err = ids.CreateUser(ctx, identity.NewUser{Env: env, Email: Email, EmailVerified: true, GivenName: "Demo", FamilyName: "User"})
		if err == nil {
			d.cfg.Logger.Info("demo: created the demo user", "user_id", u.ID)
		}
	}
	if err != nil {
		return fmt.Errorf("demo user %s: %w", Email, err)
	}
	if u.ID == st.UserID && st.Password != "" {
		return nil
	}
	// A new user, or one whose password is not on file.
	if st.Password == "" {
		st.Password = newPassword()
	}
	if err := ids.SetPassword(ctx, env, u.ID, st.Password); err != nil {
		return fmt.Errorf("demo user %s: %w", Email, err)
	}
	st.UserID, st.Email = u.ID, u.Email
	return nil
}

// seedOrganization finds or creates the demo organization and makes the
// demo user a member with the admin role.
func (d *Demo) seedOrganization(ctx context.Context, st *state) error {
	ids := d.cfg.Identity
	code := ""
	if st.OrgCode != "" {
		if _, err := ids.GetOrganization(ctx, env, st.OrgCode); err == nil {
			code = st.OrgCode
		} else if !errors.Is(err, identity.ErrNotFound) {
			return fmt.Errorf("organization %q: %w", OrgName, err)
		}
	}
	if code == "" {
		orgs, err := ids.ListOrganizations(ctx, env)
		if err != nil {
			return fmt.Errorf("list organizations: %w", err)
		}
		for _, o := range orgs {
			if o.Name == OrgName {
				code = o.Code
				break
			}
		}
	}
	if code == "" {
		o, err := ids.CreateOrganization(ctx, env, OrgName)
		if err != nil {
			return fmt.Errorf("create organization %q: %w", OrgName, err)
		}
		code = o.Code
	}
	st.OrgCode = code
	if _, err := ids.SetMembership(ctx, env, code, st.UserID, []string{OrgRole}); err != nil {
		return fmt.Errorf("organization %q: %w", OrgName, err)
	}
	return nil
}

// newPassword returns a random password: 20 characters from a 56-letter
// alphabet without look-alikes, about 116 bits.
func newPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[randIntn(len(alphabet))]
	}
	return string(b)
}

// randIntn returns a uniform random number in [0, n) from crypto/rand.
func randIntn(n int) int {
	var buf [1]byte
	limit := 256 - 256%n
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}
