package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero/api"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// maxReasonBytes caps denial reasons, form messages and plan suggestions.
const maxReasonBytes = 4 << 10

// Claim caps per execution. set_claim returns StatusLimitExceeded for a
// claim over them and stores nothing; the execution goes on, and a workflow
// that ignores the status just has fewer claims.
const (
	// maxClaimsPerToken caps the claims one execution sets on each token.
	maxClaimsPerToken = 64
	// maxClaimBytesTotal caps the names plus values of all the claims one
	// execution sets, over all tokens.
	maxClaimBytesTotal = 64 << 10
)

// maxPolicyBytes caps the MFA enforcement policy argument: the valid values
// are a few bytes long.
const maxPolicyBytes = 32

// maxFactorsBytes caps the mfa_factors JSON array.
const maxFactorsBytes = 4 << 10

func hostDenyAccess(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitAuth, abi.BindingAuth); !ok {
		return rc
	}
	reason, rc, ok := st.readText(mem, stack[0], stack[1], "denyAccess reason")
	if !ok {
		return rc
	}
	st.denied = &wapi.Denial{Reason: reason}
	return 0
}

// tokenClaims describes one token kind for set_claim.
type tokenClaims struct {
	bits       bindingSet
	binding    abi.Binding
	label      string // for DroppedClaims: "accessToken:sub"
	desc       string // for messages: "access token"
	prohibited []string
}

var tokens = map[int32]tokenClaims{
	abi.TokenAccess: {bitAccessToken, abi.BindingAccessToken, "accessToken", "access token", abi.ProhibitedClaims(abi.TokenAccess)},
	abi.TokenID:     {bitIDToken, abi.BindingIDToken, "idToken", "ID token", abi.ProhibitedClaims(abi.TokenID)},
	abi.TokenM2M:    {bitM2MToken, abi.BindingM2MToken, "m2mToken", "M2M token", abi.ProhibitedClaims(abi.TokenM2M)},
}

func hostSetClaim(st *execState, mem api.Memory, stack []uint64) int32 {
	tok, ok := tokens[int32(stack[0])]
	if !ok {
		return st.failf(abi.StatusInvalidArgument, "set_claim: unknown token kind %d (want %d access, %d ID or %d M2M)",
			int32(stack[0]), abi.TokenAccess, abi.TokenID, abi.TokenM2M)
	}
	if rc, ok := st.gate(tok.bits, tok.binding); !ok {
		return rc
	}
	name, rc, ok := st.readText(mem, stack[1], stack[2], "claim name")
	if !ok {
		return rc
	}
	if name == "" {
		return st.fail(abi.StatusInvalidArgument, "claim name is empty")
	}
	value, rc, ok := st.readArg(mem, stack[3], stack[4], "claim value")
	if !ok {
		return rc
	}
	if max := st.m.e.limits.MaxClaimBytes; len(value) > max {
		return st.failf(abi.StatusLimitExceeded, "claim %q: value is %d bytes, over the %d-byte limit", name, len(value), max)
	}
	if !json.Valid(value) {
		return st.failf(abi.StatusInvalidArgument, "claim %q: value is not valid JSON", name)
	}
	// Case-insensitively, as encoding/json matches struct fields: "SUB" or
	// "ſub" would be read as sub by a relying party decoding into a struct.
	if slices.ContainsFunc(tok.prohibited, func(p string) bool { return strings.EqualFold(p, name) }) {
		// Reported once per claim: the list of reserved names is short, so
		// DroppedClaims stays small however often the workflow tries.
		if label := tok.label + ":" + name; !slices.Contains(st.dropped, label) {
			st.dropped = append(st.dropped, label)
			st.console.warn(fmt.Sprintf("claim %q is reserved on the %s and was dropped", name, tok.desc))
		}
		return 0
	}
	var claims *map[string]json.RawMessage
	switch tok.bits {
	case bitAccessToken:
		claims = &st.access
	case bitIDToken:
		claims = &st.id
	default:
		claims = &st.m2m
	}
	old, exists := (*claims)[name]
	if !exists && len(*claims) >= maxClaimsPerToken {
		return st.failf(abi.StatusLimitExceeded, "claim %q: the %s already has %d claims, the most one execution may set", name, tok.desc, maxClaimsPerToken)
	}
	grow := len(value) - len(old)
	if !exists {
		grow += len(name)
	}
	if st.claimBytes+grow > maxClaimBytesTotal {
		return st.failf(abi.StatusLimitExceeded, "claim %q: the claims of this execution would total %d bytes, over the %d-byte limit",
			name, st.claimBytes+grow, maxClaimBytesTotal)
	}
	if *claims == nil {
		*claims = make(map[string]json.RawMessage, 4)
	}
	(*claims)[name] = json.RawMessage(slices.Clone(value))
	st.claimBytes += grow
	return 0
}

func hostSetEnforcementPolicy(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitMFA, abi.BindingMFA); !ok {
		return rc
	}
	if n := uint32(stack[1]); n > maxPolicyBytes {
		return st.failf(abi.StatusInvalidArgument, "MFA enforcement policy is %d bytes; want %q or %q", n, abi.MFARequired, abi.MFASkip)
	}
	b, rc, ok := st.readArg(mem, stack[0], stack[1], "MFA policy")
	if !ok {
		return rc
	}
	switch string(b) {
	case abi.MFARequired:
		st.mfaPolicy = abi.MFARequired
	case abi.MFASkip:
		st.mfaPolicy = abi.MFASkip
	default:
		return st.failf(abi.StatusInvalidArgument, "MFA enforcement policy %q is neither %q nor %q", guestText(b), abi.MFARequired, abi.MFASkip)
	}
	return 0
}

var knownFactors = []string{abi.FactorSMS, abi.FactorEmail, abi.FactorAuthenticatorApp, abi.FactorBackupCode}

func hostMFAFactors(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitMFA, abi.BindingMFA); !ok {
		return rc
	}
	kind := int32(stack[0])
	if kind != abi.FactorsChallenge && kind != abi.FactorsEnroll {
		return st.failf(abi.StatusInvalidArgument, "mfa_factors: unknown list kind %d (want %d challenge or %d enroll)", kind, abi.FactorsChallenge, abi.FactorsEnroll)
	}
	if n := uint32(stack[2]); n > maxFactorsBytes {
		return st.failf(abi.StatusLimitExceeded, "MFA factors are %d bytes, over the %d-byte limit", n, maxFactorsBytes)
	}
	b, rc, ok := st.readArg(mem, stack[1], stack[2], "MFA factors")
	if !ok {
		return rc
	}
	var factors []string
	if err := json.Unmarshal(b, &factors); err != nil {
		return st.failf(abi.StatusInvalidArgument, "MFA factors are not a JSON array of strings: %v", err)
	}
	for _, f := range factors {
		if !slices.Contains(knownFactors, f) {
			return st.failf(abi.StatusInvalidArgument, "unknown MFA factor %q (want one of %s)", f, strings.Join(knownFactors, ", "))
		}
	}
	if factors == nil {
		factors = []string{}
	}
	if kind == abi.FactorsChallenge {
		st.challenge = factors
	} else {
		st.enroll = factors
	}
	return 0
}

func hostInvalidateFormField(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitWidget, abi.BindingWidget); !ok {
		return rc
	}
	field, rc, ok := st.readText(mem, stack[0], stack[1], "form field")
	if !ok {
		return rc
	}
	fields := abi.FormFields(st.m.settings.Trigger)
	if !slices.Contains(fields, field) {
		return st.failf(abi.StatusInvalidArgument, "form field %q does not exist in trigger %s (want one of %s)",
			field, st.m.settings.Trigger, strings.Join(fields, ", "))
	}
	msg, rc, ok := st.readText(mem, stack[2], stack[3], "form field message")
	if !ok {
		return rc
	}
	if st.formErrors == nil {
		st.formErrors = make(map[string]string, 2)
	}
	st.formErrors[field] = msg
	return 0
}

func hostDenyPlanSelection(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitPlan, abi.BindingPlan); !ok {
		return rc
	}
	if t := st.m.settings.Trigger; t != abi.TriggerPlanSelection {
		return st.failf(abi.StatusInvalidArgument, "denySelection is only valid in trigger %s, not %s", abi.TriggerPlanSelection, t)
	}
	reason, rc, ok := st.readText(mem, stack[0], stack[1], "plan denial reason")
	if !ok {
		return rc
	}
	b, rc, ok := st.readArg(mem, stack[2], stack[3], "plan suggestions")
	if !ok {
		return rc
	}
	var suggestions []string
	if len(b) > 0 {
		if len(b) > maxReasonBytes {
			return st.failf(abi.StatusLimitExceeded, "plan suggestions are %d bytes, over the %d-byte limit", len(b), maxReasonBytes)
		}
		if err := json.Unmarshal(b, &suggestions); err != nil {
			return st.failf(abi.StatusInvalidArgument, "plan suggestions are not a JSON array of strings: %v", err)
		}
	}
	st.planDenied = &wapi.PlanDenial{Reason: reason, Suggestions: suggestions}
	return 0
}

func hostDenyPlanCancellation(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitPlan, abi.BindingPlan); !ok {
		return rc
	}
	if t := st.m.settings.Trigger; t != abi.TriggerPlanCancellationRequest {
		return st.failf(abi.StatusInvalidArgument, "denyCancellation is only valid in trigger %s, not %s", abi.TriggerPlanCancellationRequest, t)
	}
	reason, rc, ok := st.readText(mem, stack[0], stack[1], "plan cancellation denial reason")
	if !ok {
		return rc
	}
	st.planDenied = &wapi.PlanDenial{Reason: reason}
	return 0
}

func hostGetEnv(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitEnv, abi.BindingEnv); !ok {
		return rc
	}
	key, rc, ok := st.readText(mem, stack[0], stack[1], "environment variable name")
	if !ok {
		return rc
	}
	src := st.m.e.cfg.Env
	if src == nil {
		return st.fail(abi.StatusNotImplemented, "kinde.env is not served by this worker yet")
	}
	v, found, err := src.Lookup(st.hostCtx(), st.run.Env, key)
	if err != nil {
		return st.failf(abi.StatusInternal, "environment variable %q could not be read: %v", key, err)
	}
	if !found {
		return st.failf(abi.StatusNotFound, "environment variable %q does not exist", key)
	}
	if v.IsSecret && v.Value != "" {
		st.secrets = append(st.secrets, v.Value)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return st.failf(abi.StatusInternal, "environment variable %q: %v", key, err)
	}
	return st.result(js)
}

// readText reads a (ptr, len) UTF-8 argument of at most maxReasonBytes.
func (st *execState) readText(mem api.Memory, ptr, n uint64, what string) (string, int32, bool) {
	if uint32(n) > maxReasonBytes {
		return "", st.failf(abi.StatusLimitExceeded, "%s is %d bytes, over the %d-byte limit", what, uint32(n), maxReasonBytes), false
	}
	b, rc, ok := st.readArg(mem, ptr, n, what)
	if !ok {
		return "", rc, false
	}
	return guestText(b), 0, true
}
