package logs_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// dataset is a mix of kinds, environments, workflows, deployments, outcomes
// and times, with pairs of records at the same time so that paging has to
// order by id too.
func dataset(base time.Time) []api.Record {
	var recs []api.Record
	outcomes := []api.Outcome{api.OutcomeOK, api.OutcomeDenied, api.OutcomeError}
	for i := range 40 {
		r := runtimeRecord(id("exe_dev", i), "dev", base.Add(time.Duration(i/2)*time.Second))
		r.WorkflowID = []string{"wf_a", "wf_b"}[i%2]
		r.DeploymentID = []string{"dep_1", "dep_2", "dep_3"}[i%3]
		r.Outcome = outcomes[i%3]
		if r.Outcome == api.OutcomeError {
			r.Error = &api.ExecError{Code: "trap", Message: "unreachable executed"}
		}
		recs = append(recs, r)
	}
	for i := range 6 {
		recs = append(recs, api.Record{ID: id("log_build", i), Kind: api.KindBuild, Env: "dev",
			WorkflowID: "wf_a", DeploymentID: []string{"dep_1", "dep_2"}[i%2],
			Time: base.Add(time.Duration(i) * time.Second), Level: "info", Message: "compiled module"})
	}
	for i := range 3 {
		recs = append(recs, api.Record{ID: id("log_sync", i), Kind: api.KindSync, Env: "dev",
			WorkflowID: "wf_a", DeploymentID: "dep_1", Time: base.Add(time.Duration(i) * time.Second),
			Level: "info", Message: "uploaded"})
	}
	for i := range 5 {
		recs = append(recs, runtimeRecord(id("exe_prod", i), "prod", base.Add(time.Duration(i)*time.Second)))
	}
	return recs
}

// expect returns the ids of recs matching keep, in the order a query returns
// them.
func expect(recs []api.Record, ascending bool, keep func(api.Record) bool) []string {
	var out []api.Record
	for _, r := range recs {
		if keep(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b api.Record) int {
		c := a.Time.Compare(b.Time)
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if !ascending {
			c = -c
		}
		return c
	})
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r.ID
	}
	return ids
}

func query(t *testing.T, h *harness, req api.QueryRequest) (api.QueryResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return natsrpc.Call[api.QueryRequest, api.QueryResponse](ctx, h.nc, api.SubjectQuery, req)
}

// queryAll follows the cursor to the last page and returns every id, in
// order, and the number of pages.
func queryAll(t *testing.T, h *harness, req api.QueryRequest) ([]string, int) {
	t.Helper()
	var ids []string
	for pages := 1; ; pages++ {
		resp, err := query(t, h, req)
		if err != nil {
			t.Fatalf("query %+v: %v", req, err)
		}
		limit := req.Limit
		if limit == 0 {
			limit = api.DefaultQueryLimit
		}
		if len(resp.Records) > limit {
			t.Fatalf("page of %d records, limit %d", len(resp.Records), limit)
		}
		for _, r := range resp.Records {
			ids = append(ids, r.ID)
		}
		if resp.NextCursor == "" {
			return ids, pages
		}
		if len(resp.Records) != limit {
			t.Fatalf("page %d has %d records and a next cursor; want a full page of %d", pages, len(resp.Records), limit)
		}
		req.Cursor = resp.NextCursor
	}
}

func TestIngestStoresEachRecordOnceAndQueriesFilter(t *testing.T) {
	h := newHarness(t)
	h.start(logs.Config{})
	p := h.publisher()
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	recs := dataset(base)
	mustPublish(t, p, recs...)
	waitStored(t, h.pool, len(recs))
	for id, n := range storedIDs(t, h.pool) {
		if n != 1 {
			t.Errorf("record %s stored %d times", id, n)
		}
	}
	if got := counter(t, h.reg, "gatehouse_logs_ingested_total", "kind", "runtime"); got != 45 {
		t.Errorf("ingested runtime records = %v, want 45", got)
	}
	if got := counter(t, h.reg, "gatehouse_logs_ingested_total", "kind", "build"); got != 6 {
		t.Errorf("ingested build records = %v, want 6", got)
	}

	devRuntime := func(r api.Record) bool { return r.Env == "dev" && r.Kind == api.KindRuntime }
	cases := []struct {
		name string
		req  api.QueryRequest
		keep func(api.Record) bool
	}{
		{"env and kind", api.QueryRequest{Env: "dev", Kind: api.KindRuntime}, devRuntime},
		{"other env", api.QueryRequest{Env: "prod", Kind: api.KindRuntime},
			func(r api.Record) bool { return r.Env == "prod" }},
		{"workflow", api.QueryRequest{Env: "dev", Kind: api.KindRuntime, WorkflowID: "wf_b"},
			func(r api.Record) bool { return devRuntime(r) && r.WorkflowID == "wf_b" }},
		{"deployment", api.QueryRequest{Env: "dev", Kind: api.KindRuntime, DeploymentID: "dep_2"},
			func(r api.Record) bool { return devRuntime(r) && r.DeploymentID == "dep_2" }},
		{"execution", api.QueryRequest{Env: "dev", Kind: api.KindRuntime, ExecutionID: id("exe_dev", 7)},
			func(r api.Record) bool { return r.ID == id("exe_dev", 7) }},
		{"execution in another env", api.QueryRequest{Env: "prod", Kind: api.KindRuntime, ExecutionID: id("exe_dev", 7)},
			func(api.Record) bool { return false }},
		{"outcome", api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Outcome: api.OutcomeDenied},
			func(r api.Record) bool { return devRuntime(r) && r.Outcome == api.OutcomeDenied }},
		{"outcome and workflow", api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Outcome: api.OutcomeError, WorkflowID: "wf_a"},
			func(r api.Record) bool {
				return devRuntime(r) && r.Outcome == api.OutcomeError && r.WorkflowID == "wf_a"
			}},
		{"since until", api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Since: base.Add(5 * time.Second), Until: base.Add(10 * time.Second)},
			func(r api.Record) bool {
				return devRuntime(r) && !r.Time.Before(base.Add(5*time.Second)) && r.Time.Before(base.Add(10*time.Second))
			}},
		{"build by deployment", api.QueryRequest{Env: "dev", Kind: api.KindBuild, DeploymentID: "dep_1"},
			func(r api.Record) bool { return r.Kind == api.KindBuild && r.DeploymentID == "dep_1" }},
		{"sync", api.QueryRequest{Env: "dev", Kind: api.KindSync},
			func(r api.Record) bool { return r.Kind == api.KindSync }},
		{"no such env", api.QueryRequest{Env: "staging", Kind: api.KindRuntime},
			func(api.Record) bool { return false }},
	}
	for _, c := range cases {
		for _, asc := range []bool{false, true} {
			req := c.req
			req.Ascending = asc
			want := expect(recs, asc, c.keep)
			got, _ := queryAll(t, h, req)
			if !slices.Equal(got, want) {
				t.Errorf("%s (ascending %v): got %v, want %v", c.name, asc, got, want)
			}
		}
	}

	t.Run("records come back whole", func(t *testing.T) {
		byID := map[string]api.Record{}
		for _, r := range recs {
			byID[r.ID] = r
		}
		resp, err := query(t, h, api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Limit: api.MaxQueryLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Records) != 40 {
			t.Fatalf("got %d records, want 40", len(resp.Records))
		}
		for _, got := range resp.Records {
			if want := byID[got.ID]; !reflect.DeepEqual(got, want) {
				t.Errorf("stored record differs:\n got %+v\nwant %+v", got, want)
			}
		}
	})

	t.Run("two pages, no overlap, no gap", func(t *testing.T) {
		for _, asc := range []bool{false, true} {
			req := api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Limit: 20, Ascending: asc}
			got, pages := queryAll(t, h, req)
			if want := expect(recs, asc, devRuntime); !slices.Equal(got, want) || pages != 2 {
				t.Errorf("ascending %v: %d pages %v, want 2 pages %v", asc, pages, got, want)
			}
		}
	})

	t.Run("uneven pages with a filter", func(t *testing.T) {
		req := api.QueryRequest{Env: "dev", Kind: api.KindRuntime, WorkflowID: "wf_a", Limit: 7}
		got, pages := queryAll(t, h, req)
		want := expect(recs, false, func(r api.Record) bool { return devRuntime(r) && r.WorkflowID == "wf_a" })
		if !slices.Equal(got, want) || pages != 3 {
			t.Errorf("%d pages %v, want 3 pages %v", pages, got, want)
		}
	})

	t.Run("default limit", func(t *testing.T) {
		resp, err := query(t, h, api.QueryRequest{Env: "dev", Kind: api.KindRuntime})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Records) != 40 || resp.NextCursor != "" {
			t.Errorf("got %d records and cursor %q, want 40 and none (default limit %d)", len(resp.Records), resp.NextCursor, api.DefaultQueryLimit)
		}
	})
}
