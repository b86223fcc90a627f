package wfcli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// printDecision writes a decision for people to read.
func printDecision(w io.Writer, d api.Decision) {
	if !d.Ran {
		if d.Error != nil {
			fmt.Fprintf(w, "ERROR %s: %s\n", d.Error.Code, d.Error.Message)
			printPolicy(w, d)
			return
		}
		fmt.Fprintln(w, "no workflow is live for this trigger: the flow goes on unchanged")
		return
	}
	head := "workflow"
	if d.WorkflowID != "" {
		head += " " + d.WorkflowID
	}
	fmt.Fprintf(w, "%s ran in %.1f ms", head, d.DurationMs)
	if d.DeploymentID != "" {
		fmt.Fprintf(w, " (deployment %s", d.DeploymentID)
		if d.ExecutionID != "" {
			fmt.Fprintf(w, ", execution %s", d.ExecutionID)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)

	switch {
	case d.Error != nil:
		fmt.Fprintf(w, "\nERROR %s: %s\n", d.Error.Code, d.Error.Message)
		printPolicy(w, d)
	case d.Denied != nil:
		fmt.Fprintf(w, "\nDENIED: %s\n", d.Denied.Reason)
	case d.PlanDenied != nil:
		fmt.Fprintf(w, "\nPLAN REQUEST DENIED: %s\n", d.PlanDenied.Reason)
		for _, s := range d.PlanDenied.Suggestions {
			fmt.Fprintf(w, "  suggestion: %s\n", s)
		}
	case len(d.FormErrors) > 0:
		fmt.Fprintln(w, "\nFORM REJECTED:")
		for _, k := range sortedKeys(d.FormErrors) {
			fmt.Fprintf(w, "  %s: %s\n", k, d.FormErrors[k])
		}
	default:
		fmt.Fprintln(w, "\nALLOWED: the flow goes on")
	}
	if d.MFAPolicy != "" {
		fmt.Fprintf(w, "MFA policy: %s\n", d.MFAPolicy)
	}
	if len(d.ChallengeWith) > 0 {
		fmt.Fprintf(w, "challenge with: %s\n", strings.Join(d.ChallengeWith, ", "))
	}
	if len(d.EnrollWith) > 0 {
		fmt.Fprintf(w, "enroll with: %s\n", strings.Join(d.EnrollWith, ", "))
	}
	printClaims(w, "access token claims", d.AccessTokenClaims)
	printClaims(w, "ID token claims", d.IDTokenClaims)
	printClaims(w, "M2M token claims", d.M2MTokenClaims)
	if len(d.DroppedClaims) > 0 {
		fmt.Fprintf(w, "dropped claims (reserved by the token type, not applied): %s\n", strings.Join(d.DroppedClaims, ", "))
	}
	if len(d.Console) > 0 {
		fmt.Fprintln(w, "\nconsole:")
		for _, l := range d.Console {
			fmt.Fprintf(w, "  %-5s %s\n", l.Level, strings.ReplaceAll(l.Text, "\n", "\n        "))
		}
	}
}

func printPolicy(w io.Writer, d api.Decision) {
	switch d.FailurePolicy {
	case abi.FailureContinue:
		fmt.Fprintln(w, "failure policy continue: the flow would go on as if the workflow had not run")
	case abi.FailureStop:
		fmt.Fprintln(w, "failure policy stop: the flow would stop")
	}
}

func printClaims(w io.Writer, title string, claims map[string]json.RawMessage) {
	if len(claims) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, k := range sortedKeys(claims) {
		fmt.Fprintf(w, "  %s = %s\n", k, claims[k])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON output: %w", err)
	}
	return nil
}
