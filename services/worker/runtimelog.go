package worker

import (
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// runtimeRecord is the runtime log of one execution, built from the decision
// after redaction: nothing in it is a secret or a password. Claim values are
// left out; their names say what the workflow set.
func runtimeRecord(env string, t abi.Trigger, start time.Time, d *api.Decision, outcome lapi.Outcome) lapi.Record {
	id := d.ExecutionID
	if id == "" {
		id = ids.New("exe")
	}
	r := lapi.Record{
		ID: id, Kind: lapi.KindRuntime, Env: env, WorkflowID: d.WorkflowID, DeploymentID: d.DeploymentID,
		Time: start.UTC(), Trigger: string(t), DurationMs: d.DurationMs, Outcome: outcome,
		Summary: &lapi.DecisionSummary{
			AccessTokenClaims: claimNames(d.AccessTokenClaims),
			IDTokenClaims:     claimNames(d.IDTokenClaims),
			M2MTokenClaims:    claimNames(d.M2MTokenClaims),
			DroppedClaims:     d.DroppedClaims,
			MFAPolicy:         d.MFAPolicy,
			ChallengeWith:     d.ChallengeWith,
			EnrollWith:        d.EnrollWith,
			FormErrors:        d.FormErrors,
			FailurePolicy:     d.FailurePolicy,
		},
	}
	if d.Denied != nil {
		r.Summary.Denied = d.Denied.Reason
	}
	if d.PlanDenied != nil {
		r.Summary.PlanDenied = d.PlanDenied.Reason
	}
	if d.Error != nil {
		r.Error = &lapi.ExecError{Code: d.Error.Code, Message: d.Error.Message}
	}
	if len(d.Console) > 0 {
		r.Console = make([]lapi.ConsoleLine, len(d.Console))
		for i, c := range d.Console {
			r.Console[i] = lapi.ConsoleLine{Level: c.Level, Text: c.Text}
		}
	}
	return r
}

// refusedRecord is the runtime log of a request the worker refused without
// running it (shed, or queued past its deadline).
func refusedRecord(env string, t abi.Trigger, outcome lapi.Outcome, message string) lapi.Record {
	code := api.ErrCodeShed
	if outcome == lapi.OutcomeTimeout {
		code = api.ErrCodeTimeout
	}
	return lapi.Record{ID: ids.New("exe"), Kind: lapi.KindRuntime, Env: env, Time: time.Now().UTC(), Trigger: string(t),
		Outcome: outcome, Error: &lapi.ExecError{Code: code, Message: message}}
}

func claimNames[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
