package mgmt

import "github.com/go-chi/chi/v5"

// Plans changes and cancels users' plans; the frontdoor implements it.
type Plans interface{}

// planRoutes adds the plan routes.
func (a *API) planRoutes(r chi.Router) {}
