package logs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

func TestQueryRejectsBadInput(t *testing.T) {
	h := newHarness(t)
	h.start(logs.Config{})
	p := h.publisher()
	for i := range 3 {
		mustPublish(t, p, runtimeRecord(id("exe", i), "dev", time.Now()))
	}
	waitStored(t, h.pool, 3)
	page, err := query(t, h, api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Limit: 1})
	if err != nil || page.NextCursor == "" {
		t.Fatalf("first page: %v, cursor %q", err, page.NextCursor)
	}
	now := time.Now()
	cases := []struct {
		req  api.QueryRequest
		want string
	}{
		{api.QueryRequest{Kind: api.KindRuntime}, "env: environment name is required"},
		{api.QueryRequest{Env: "Dev!", Kind: api.KindRuntime}, `environment name "Dev!" is invalid`},
		{api.QueryRequest{Env: "dev"}, "kind is required"},
		{api.QueryRequest{Env: "dev", Kind: "audit"}, `kind "audit" is unknown`},
		{api.QueryRequest{Env: "dev", Kind: api.KindBuild, Outcome: api.OutcomeOK}, "outcome filters runtime records only, not build records"},
		{api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Outcome: "maybe"}, `outcome "maybe" is unknown`},
		{api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Limit: api.MaxQueryLimit + 1}, "limit 501 is more than the maximum of 500"},
		{api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Limit: -1}, "limit -1 is negative"},
		{api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Since: now, Until: now.Add(-time.Second)}, "must be before until"},
		{api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Cursor: "not a cursor"}, "cursor is not one returned by a previous query"},
		{api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Cursor: "e30"}, "cursor is not one returned by a previous query"},
		{api.QueryRequest{Env: "dev", Kind: api.KindRuntime, Cursor: page.NextCursor, Ascending: true}, "cursor was returned by a query in the other order"},
	}
	for _, c := range cases {
		_, err := query(t, h, c.req)
		if !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("query %+v: got %v, want invalid_argument containing %q", c.req, err, c.want)
		}
	}
}
