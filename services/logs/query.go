package logs

import (
	"context"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// query answers api.SubjectQuery.
func (s *Service) query(ctx context.Context, req api.QueryRequest) (api.QueryResponse, error) {
	c, limit, err := checkQuery(req)
	if err != nil {
		return api.QueryResponse{}, err
	}
	records, positions, err := s.store.queryRecords(ctx, req, c, limit+1)
	if err != nil {
		return api.QueryResponse{}, err
	}
	resp := api.QueryResponse{Records: records}
	if len(records) > limit {
		resp.Records = records[:limit]
		resp.NextCursor = positions[limit-1].encode()
	}
	return resp, nil
}

// checkQuery validates req and returns its cursor (nil when it has none) and
// page size.
func checkQuery(req api.QueryRequest) (*cursor, int, error) {
	if err := envname.Validate(req.Env); err != nil {
		return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "env: %v", err)
	}
	if req.Kind == "" {
		return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "kind is required: runtime, build or sync")
	}
	if !req.Kind.Valid() {
		return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "kind %q is unknown: use runtime, build or sync", req.Kind)
	}
	if req.Outcome != "" {
		if req.Kind != api.KindRuntime {
			return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "outcome filters runtime records only, not %s records", req.Kind)
		}
		if !req.Outcome.Valid() {
			return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "outcome %q is unknown: use ok, denied, error, timeout or shed", req.Outcome)
		}
	}
	if !req.Since.IsZero() && !req.Until.IsZero() && !req.Since.Before(req.Until) {
		return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "since (%s) must be before until (%s)", req.Since, req.Until)
	}
	limit := req.Limit
	switch {
	case limit < 0:
		return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "limit %d is negative", limit)
	case limit == 0:
		limit = api.DefaultQueryLimit
	case limit > api.MaxQueryLimit:
		return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "limit %d is more than the maximum of %d", limit, api.MaxQueryLimit)
	}
	if req.Cursor == "" {
		return nil, limit, nil
	}
	c, err := decodeCursor(req.Cursor, req.Ascending)
	if err != nil {
		return nil, 0, natsrpc.Errorf(natsrpc.CodeInvalidArgument, "cursor: %v", err)
	}
	return c, limit, nil
}
