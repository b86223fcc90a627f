package mgmt

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
)

func (a *API) logRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/logs", ScopeReadLogs, a.queryLogs)
}

// queryLogs answers GET /logs with the logs service's filters and keyset
// pagination (cursor, nextCursor).
func (a *API) queryLogs(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r, "kind", "workflowId", "deploymentId", "executionId", "outcome",
		"since", "until", "ascending", "limit", "cursor"); err != nil {
		return err
	}
	q := r.URL.Query()
	ctx := r.Context()
	req := lapi.QueryRequest{Env: a.cfg.Env(ctx), Kind: lapi.Kind(q.Get("kind")), WorkflowID: q.Get("workflowId"),
		DeploymentID: q.Get("deploymentId"), ExecutionID: q.Get("executionId"), Outcome: lapi.Outcome(q.Get("outcome")),
		Cursor: q.Get("cursor")}
	if req.Kind == "" {
		req.Kind = lapi.KindRuntime
	}
	if !req.Kind.Valid() {
		return badRequest("query parameter kind must be runtime, build or sync, not %q", req.Kind)
	}
	if req.Outcome != "" && !req.Outcome.Valid() {
		return badRequest("query parameter outcome must be ok, denied, error, timeout or shed, not %q", req.Outcome)
	}
	var err error
	if req.Limit, err = queryInt(r, "limit", lapi.DefaultQueryLimit, 1, lapi.MaxQueryLimit); err != nil {
		return err
	}
	for name, t := range map[string]*time.Time{"since": &req.Since, "until": &req.Until} {
		if s := q.Get(name); s != "" {
			if *t, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return badRequest("query parameter %s must be an RFC 3339 time (2006-01-02T15:04:05Z), not %q", name, s)
			}
		}
	}
	if s := q.Get("ascending"); s != "" {
		if req.Ascending, err = strconv.ParseBool(s); err != nil {
			return badRequest("query parameter ascending must be true or false, not %q", s)
		}
	}
	resp, err := call[lapi.QueryRequest, lapi.QueryResponse](ctx, a, lapi.SubjectQuery, req)
	if err != nil {
		return err
	}
	resp.Records = list(resp.Records)
	writeJSON(w, http.StatusOK, resp)
	return nil
}
