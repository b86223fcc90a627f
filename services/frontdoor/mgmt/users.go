package mgmt

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// Page sizes of GET /users.
const (
	defaultUserPage = 100
	maxUserPage     = 500
)

// User is a user as the API shows it.
type User struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	EmailVerified bool       `json:"emailVerified"`
	GivenName     string     `json:"givenName"`
	FamilyName    string     `json:"familyName"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	LastSignInAt  *time.Time `json:"lastSignInAt,omitempty"`
}

// UserList is one page of users; NextCursor is empty on the last page.
type UserList struct {
	Users      []User `json:"users"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// UserCreate is the body of POST /users. Password, when given, must meet
// the password policy; it is stored as an argon2id hash.
type UserCreate struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified,omitempty"`
	GivenName     string `json:"givenName,omitempty"`
	FamilyName    string `json:"familyName,omitempty"`
	Password      string `json:"password,omitempty"`
}

// UserUpdate is the body of PATCH /users/{id}: absent fields keep their
// value. A new email is unverified unless emailVerified says otherwise.
type UserUpdate struct {
	Email         *string `json:"email,omitempty"`
	EmailVerified *bool   `json:"emailVerified,omitempty"`
	GivenName     *string `json:"givenName,omitempty"`
	FamilyName    *string `json:"familyName,omitempty"`
}

func userOf(u *identity.User) User {
	return User{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, GivenName: u.GivenName,
		FamilyName: u.FamilyName, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastSignInAt: u.LastSignInAt}
}

func (a *API) userRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/users", ScopeReadUsers, a.listUsers)
	a.route(r, http.MethodPost, "/users", ScopeWriteUsers, a.createUser)
	a.route(r, http.MethodGet, "/users/{id}", ScopeReadUsers, a.getUser)
	a.route(r, http.MethodPatch, "/users/{id}", ScopeWriteUsers, a.updateUser)
	a.route(r, http.MethodDelete, "/users/{id}", ScopeWriteUsers, a.deleteUser)
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r, "limit", "cursor"); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", defaultUserPage, 1, maxUserPage)
	if err != nil {
		return err
	}
	// One more than the page tells whether another page follows.
	users, err := a.cfg.Identity.ListUsers(r.Context(), a.cfg.Env(r.Context()), r.URL.Query().Get("cursor"), limit+1)
	if err != nil {
		return err
	}
	out := UserList{Users: []User{}}
	for i := range users {
		if i == limit {
			out.NextCursor = users[i-1].ID
			break
		}
		out.Users = append(out.Users, userOf(&users[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var body UserCreate
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Password != "" {
		// Checked first, so that a refused password creates nobody.
		if err := identity.CheckPasswordPolicy(body.Password); err != nil {
			return badRequest("password: %v", err)
		}
	}
	ctx := r.Context()
	env := a.cfg.Env(ctx)
	u, err := a.cfg.Identity.CreateUser(ctx, identity.NewUser{Env: env, Email: body.Email,
		EmailVerified: body.EmailVerified, GivenName: body.GivenName, FamilyName: body.FamilyName})
	if err != nil {
		return err
	}
	if body.Password != "" {
		if err := a.cfg.Identity.SetPassword(ctx, env, u.ID, body.Password); err != nil {
			// Do not leave a user behind whose creation was reported as
			// failed.
			if derr := a.cfg.Identity.DeleteUser(ctx, env, u.ID); derr != nil {
				err = errors.Join(err, derr)
			}
			return err
		}
	}
	a.log.InfoContext(ctx, "user created", "env", env, "user_id", u.ID, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusCreated, userOf(u))
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.cfg.Identity.GetUser(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userOf(u))
	return nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var body UserUpdate
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	u, err := a.cfg.Identity.UpdateUser(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "id"),
		identity.UserUpdate{Email: body.Email, EmailVerified: body.EmailVerified, GivenName: body.GivenName, FamilyName: body.FamilyName})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userOf(u))
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	if err := a.cfg.Identity.DeleteUser(ctx, a.cfg.Env(ctx), id); err != nil {
		return err
	}
	// The user's tokens end with them.
	if _, err := natsrpc.Call[tapi.RevokeSubjectRequest, tapi.RevokeGrantResponse](ctx, a.cfg.NATS, tapi.SubjectRevokeSubject,
		tapi.RevokeSubjectRequest{Env: a.cfg.Env(ctx), Subject: id, Reason: "user_deleted"}); err != nil {
		a.log.ErrorContext(ctx, "user deleted, but their tokens could not be revoked; revoke them by hand",
			"env", a.cfg.Env(ctx), "user_id", id, "error", err)
	}
	a.log.InfoContext(ctx, "user deleted", "env", a.cfg.Env(ctx), "user_id", id, "by", callerOf(ctx).clientID)
	noContent(w)
	return nil
}
