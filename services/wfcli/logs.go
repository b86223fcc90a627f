package wfcli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
)

// tailBuffer is how many live records may wait to be printed before NATS
// drops them (a slow terminal).
const tailBuffer = 4096

// logsQuery is what `gatehouse wf logs` asks for.
type logsQuery struct {
	req    lapi.QueryRequest
	follow bool
	asJSON bool
}

func runLogs(c *cli, args []string) error {
	f := c.flags("logs")
	r := addRemoteFlags(f)
	kind := f.String("kind", string(lapi.KindRuntime), "runtime (executions), build or sync")
	follow := f.Bool("follow", false, "after the history, print new records as they arrive, until interrupted")
	dep := f.String("deployment", "", "only the records of this deployment")
	workflow := f.String("workflow", "", "only the records of this workflow")
	execution := f.String("execution", "", "only this execution (runtime)")
	since := f.String("since", "", "only records from this time on: a duration before now (30m, 2h) or an RFC 3339 time")
	until := f.String("until", "", "only records before this time: a duration before now or an RFC 3339 time")
	outcome := f.String("outcome", "", "only executions that ended so: ok, denied, error, timeout or shed (runtime)")
	limit := f.Int("limit", lapi.DefaultQueryLimit, fmt.Sprintf("most records of history to show (at most %d)", lapi.MaxQueryLimit))
	asJSON := f.Bool("json", false, "print one JSON record a line")
	if _, err := f.parse(c, args, 0); err != nil {
		return err
	}
	q := logsQuery{follow: *follow, asJSON: *asJSON, req: lapi.QueryRequest{
		Kind: lapi.Kind(*kind), WorkflowID: *workflow, DeploymentID: *dep, ExecutionID: *execution,
		Outcome: lapi.Outcome(*outcome), Limit: *limit,
	}}
	if !q.req.Kind.Valid() {
		return usagef("--kind must be runtime, build or sync, not %q", *kind)
	}
	if *outcome != "" {
		if q.req.Kind != lapi.KindRuntime {
			return usagef("--outcome applies to runtime records only (--kind runtime)")
		}
		if !q.req.Outcome.Valid() {
			return usagef("--outcome must be ok, denied, error, timeout or shed, not %q", *outcome)
		}
	}
	if *execution != "" && q.req.Kind != lapi.KindRuntime {
		return usagef("--execution applies to runtime records only (--kind runtime)")
	}
	if *limit < 1 || *limit > lapi.MaxQueryLimit {
		return usagef("--limit must be between 1 and %d", lapi.MaxQueryLimit)
	}
	now := time.Now()
	var err error
	if q.req.Since, err = parseLogTime("--since", *since, now); err != nil {
		return err
	}
	if q.req.Until, err = parseLogTime("--until", *until, now); err != nil {
		return err
	}
	if !q.req.Since.IsZero() && !q.req.Until.IsZero() && !q.req.Since.Before(q.req.Until) {
		return usagef("--since must be before --until")
	}
	if q.follow && !q.req.Until.IsZero() {
		return usagef("--until and --follow do not go together: new records are never before --until")
	}
	ctx := c.ctx
	if q.follow {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	return r.with(ctx, func(ctx context.Context, g gatehouse, env string) error {
		q.req.Env = env
		return c.logs(ctx, g, q)
	})
}

// parseLogTime reads --since or --until: a positive duration before now, an
// RFC 3339 time, or a date (midnight, local time).
func parseLogTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, usagef("%s %s: the duration must be positive (%s 1h means one hour ago)", flag, s, flag)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s %q is neither a duration (30m, 2h) nor an RFC 3339 time (2006-01-02T15:04:05Z)", flag, s)
}

// logs prints the history of q and, with q.follow, the records that arrive
// afterwards until ctx ends.
func (c *cli) logs(ctx context.Context, g gatehouse, q logsQuery) error {
	var stream logStream
	if q.follow {
		// Follow before the query, so that nothing stored in between is
		// missed; what both deliver is printed once.
		var err error
		stream, err = g.Follow(ctx, q.req, func(msg string) { fmt.Fprintf(c.stderr, "warning: %s\n", msg) })
		if err != nil {
			return fmt.Errorf("follow the logs of %s: %w", q.req.Env, err)
		}
		defer stream.Close()
	}
	resp, err := g.Logs(ctx, q.req)
	if err != nil {
		return fmt.Errorf("%s logs of %s: %w", q.req.Kind, q.req.Env, err)
	}
	seen := make(map[string]bool, len(resp.Records))
	for _, rec := range slices.Backward(resp.Records) {
		seen[rec.ID] = true
		if err := c.printRecord(rec, q.asJSON); err != nil {
			return err
		}
	}
	if !q.asJSON {
		switch {
		case len(resp.Records) == 0 && !q.follow:
			fmt.Fprintf(c.stdout, "no %s logs in environment %s match (logs are stored a moment after the event: run again, or use --follow)\n", q.req.Kind, q.req.Env)
		case resp.NextCursor != "":
			fmt.Fprintf(c.stderr, "(the newest %d records; narrow with --since, --workflow or --deployment, or raise --limit)\n", len(resp.Records))
		}
	}
	if !q.follow {
		return nil
	}
	fmt.Fprintf(c.stderr, "following %s logs of %s; Ctrl-C to stop\n", q.req.Kind, q.req.Env)
	for {
		recs, err := stream.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				if errors.Is(context.Cause(ctx), context.Canceled) {
					return nil
				}
				return ctx.Err()
			}
			return err
		}
		for _, rec := range recs {
			if seen[rec.ID] || !q.matches(rec) {
				continue
			}
			seen[rec.ID] = true
			if err := c.printRecord(rec, q.asJSON); err != nil {
				return err
			}
		}
	}
}

// matches reports whether a live record passes the query's filters.
func (q logsQuery) matches(r lapi.Record) bool {
	f := q.req
	return r.Kind == f.Kind && r.Env == f.Env &&
		(f.WorkflowID == "" || r.WorkflowID == f.WorkflowID) &&
		(f.DeploymentID == "" || r.DeploymentID == f.DeploymentID) &&
		(f.ExecutionID == "" || r.ID == f.ExecutionID) &&
		(f.Outcome == "" || r.Outcome == f.Outcome) &&
		(f.Since.IsZero() || !r.Time.Before(f.Since))
}

// printRecord writes one record, for people or as one JSON line.
func (c *cli) printRecord(r lapi.Record, asJSON bool) error {
	if asJSON {
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode log record %s: %w", r.ID, err)
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", data)
		return err
	}
	_, err := fmt.Fprint(c.stdout, formatRecord(r))
	return err
}
