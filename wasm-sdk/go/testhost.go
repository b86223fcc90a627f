//go:build !wasip1

package gatehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// TestHost runs a workflow in-process on native builds, serving the bindings
// the way the Gatehouse worker does: a binding works only when the settings
// declare it and the trigger offers it, prohibited claims are dropped, form
// fields and MFA policies are checked. It lets workflow authors unit-test a
// workflow with plain go test:
//
//	func TestDeniesDisposableEmail(t *testing.T) {
//		res, err := (&gatehouse.TestHost{}).Run(t.Context(), []byte(event))
//		if err != nil {
//			t.Fatal(err)
//		}
//		if res.Denied == nil { … }
//	}
//
// The zero TestHost runs the registered workflow with no environment
// variables and no network. Runs are serialized: one TestHost.Run executes
// at a time in a process.
//
// # Notes
//
// The TestHost does not compile the workflow to WebAssembly and applies no
// time or memory limit; SecureFetch bodies reach the Fetch function in clear
// text (the worker encrypts them).
type TestHost struct {
	// Workflow is the workflow to run; nil means the one passed to Register.
	Workflow *Workflow
	// Env holds the environment variables GetEnvironmentVariable returns.
	Env map[string]EnvironmentVariable
	// Fetch serves Fetch (and SecureFetch when SecureFetch is nil). Nil makes
	// every fetch fail with abi.StatusFetchFailed. HTTPFetch returns one that
	// sends real HTTP requests, e.g. to an httptest server.
	Fetch func(ctx context.Context, req abi.FetchRequest) (abi.FetchResponse, error)
	// SecureFetch serves SecureFetch; nil means Fetch.
	SecureFetch func(ctx context.Context, req abi.FetchRequest) (abi.FetchResponse, error)
	// MaxFetchCalls limits fetch calls per run; 0 means no limit.
	MaxFetchCalls int
}

// TestResult is what a workflow asked for during TestHost.Run; it mirrors the
// worker's decision.
type TestResult struct {
	// WorkflowID and FailurePolicy come from the workflow's settings.
	WorkflowID    string
	FailurePolicy string
	// Denied is set when the workflow called DenyAccess.
	Denied *Denial
	// Claims set per token; a value is the claim's JSON.
	AccessTokenClaims map[string]json.RawMessage
	IDTokenClaims     map[string]json.RawMessage
	M2MTokenClaims    map[string]json.RawMessage
	// DroppedClaims lists "token:claim" pairs the token type prohibits; they
	// were not applied.
	DroppedClaims []string
	// MFAPolicy is "required" or "skip" when the workflow set one.
	MFAPolicy     string
	ChallengeWith []string
	EnrollWith    []string
	// FormErrors maps a form field to the message to show next to it.
	FormErrors map[string]string
	// PlanDenied is set when the workflow denied a plan selection or cancellation.
	PlanDenied *PlanDenial
	// Fetches lists the fetch and secure fetch requests, in order.
	Fetches []abi.FetchRequest
	// Console holds the lines the workflow logged.
	Console []ConsoleLine
	// Failure explains why the workflow did not complete; nil on success.
	Failure *TestFailure
}

// Denial is the reason given to DenyAccess.
type Denial struct {
	Reason string
}

// PlanDenial is a refused plan selection or cancellation.
type PlanDenial struct {
	Reason      string
	Suggestions []string
}

// ConsoleLine is one logged line.
type ConsoleLine struct {
	// Level is "debug", "info", "warn" or "error".
	Level string
	Text  string
}

// Failure codes of TestFailure, the same as the worker's.
const (
	FailureWorkflow     = "workflow_error" // the handler returned an error or panicked
	FailureBinding      = "binding_error"  // a binding was not declared or not available
	FailureInvalidEvent = "invalid_event"  // the event did not decode into the handler's type
)

// TestFailure is why a workflow run failed.
type TestFailure struct {
	Code    string
	Message string
}

// Error returns "<code>: <message>".
func (f *TestFailure) Error() string { return f.Code + ": " + f.Message }

// String prints a one-line summary, handy in Example output and test logs.
func (r *TestResult) String() string {
	var parts []string
	if r.Denied != nil {
		parts = append(parts, fmt.Sprintf("denied=%q", r.Denied.Reason))
	}
	for _, c := range []struct {
		name string
		m    map[string]json.RawMessage
	}{{"accessToken", r.AccessTokenClaims}, {"idToken", r.IDTokenClaims}, {"m2mToken", r.M2MTokenClaims}} {
		for _, k := range sortedKeys(c.m) {
			parts = append(parts, fmt.Sprintf("%s.%s=%s", c.name, k, c.m[k]))
		}
	}
	if len(r.DroppedClaims) > 0 {
		parts = append(parts, "dropped="+strings.Join(r.DroppedClaims, ","))
	}
	if r.MFAPolicy != "" {
		parts = append(parts, "mfa="+r.MFAPolicy)
	}
	if r.ChallengeWith != nil {
		parts = append(parts, "challengeWith="+strings.Join(r.ChallengeWith, ","))
	}
	if r.EnrollWith != nil {
		parts = append(parts, "enrollWith="+strings.Join(r.EnrollWith, ","))
	}
	for _, k := range sortedKeys(r.FormErrors) {
		parts = append(parts, fmt.Sprintf("formError.%s=%q", k, r.FormErrors[k]))
	}
	if r.PlanDenied != nil {
		p := fmt.Sprintf("planDenied=%q", r.PlanDenied.Reason)
		if len(r.PlanDenied.Suggestions) > 0 {
			p += fmt.Sprintf(" suggestions=%q", r.PlanDenied.Suggestions)
		}
		parts = append(parts, p)
	}
	if r.Failure != nil {
		parts = append(parts, "failure="+r.Failure.Error())
	}
	if len(parts) == 0 {
		return "allowed"
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// testRun is the state of the TestHost.Run in progress.
type testRun struct {
	ctx      context.Context
	host     *TestHost
	trigger  Trigger
	declared map[abi.Binding]bool
	res      *TestResult
	secrets  []string // secret env values read, redacted at the end
}

var (
	runMu   sync.Mutex // serializes TestHost.Run
	current *testRun   // the run in progress, nil outside Run
)

// Run runs the workflow on event (the Kinde-shaped JSON object
// {"request":{…},"context":{…}}) and returns what it asked for.
//
// # Errors
//
// When the workflow fails (the handler returns an error or panics, the event
// does not decode, or a binding is used without being declared or where it is
// not available) Run returns the result, with Failure set, and Failure as the
// error. When there is nothing to run (no workflow registered) or the worker
// would reject the workflow at upload (a declared binding is unknown or not
// available for the trigger), it returns a nil result and an error.
func (h *TestHost) Run(ctx context.Context, event []byte) (*TestResult, error) {
	w := h.Workflow
	if w == nil {
		w = registered
	}
	if w == nil {
		return nil, errors.New("test host: no workflow: call gatehouse.Register from init or set TestHost.Workflow")
	}
	runMu.Lock()
	defer runMu.Unlock()

	s := w.settings.ABI()
	if err := validateBindings(s); err != nil {
		return nil, fmt.Errorf("test host: the worker would reject this workflow at upload: %w", err)
	}
	r := &testRun{
		ctx:      ctx,
		host:     h,
		trigger:  s.Trigger,
		declared: make(map[abi.Binding]bool, len(s.Bindings)),
		res:      &TestResult{WorkflowID: s.ID, FailurePolicy: s.FailurePolicy.Action},
	}
	for b := range s.Bindings {
		r.declared[b] = true
	}
	current = r
	defer func() { current = nil }()

	err := w.call(event)
	if err != nil && r.res.Failure == nil {
		code := FailureWorkflow
		var ee *eventError
		if errors.As(err, &ee) {
			code = FailureInvalidEvent
		}
		r.res.Failure = &TestFailure{Code: code, Message: err.Error()}
	}
	if len(r.secrets) > 0 {
		r.redact()
	}
	if r.res.Failure != nil {
		return r.res, r.res.Failure
	}
	return r.res, nil
}

// validateBindings applies the upload-time checks on declared bindings:
// each is known and available for the trigger.
func validateBindings(s abi.Settings) error {
	names := make([]string, 0, len(s.Bindings))
	for b := range s.Bindings {
		names = append(names, string(b))
	}
	slices.Sort(names)
	for _, name := range names {
		b := abi.Binding(name)
		if !b.Known() {
			return fmt.Errorf("settings of workflow %q: unknown binding %q", s.ID, name)
		}
		if !abi.Available(b, s.Trigger) {
			return fmt.Errorf("binding %s is not available for trigger %s", b, s.Trigger)
		}
	}
	return nil
}

// redactedText replaces secret values in console lines and failure messages.
const redactedText = "[redacted]"

// redact removes the secret environment values read during the run from the
// console and the failure message, as the worker does before storing them.
func (r *testRun) redact() {
	clean := func(s string) string {
		for _, sec := range r.secrets {
			if sec != "" {
				s = strings.ReplaceAll(s, sec, redactedText)
			}
		}
		return s
	}
	for i := range r.res.Console {
		r.res.Console[i].Text = clean(r.res.Console[i].Text)
	}
	if r.res.Failure != nil {
		r.res.Failure.Message = clean(r.res.Failure.Message)
	}
}

// gate applies the available / declared rules to a call of binding b, in
// the worker's order. A refused call also fails the run, as in the worker.
func (r *testRun) gate(b abi.Binding) error {
	var err error
	switch {
	case !abi.Available(b, r.trigger):
		err = bindingError(b, abi.StatusNotAvailable, fmt.Sprintf("binding %s is not available for trigger %s", b, r.trigger))
	case !b.Native() && !r.declared[b]:
		err = bindingError(b, abi.StatusNotDeclared, fmt.Sprintf("binding %s is not declared in workflowSettings", b))
	default:
		return nil
	}
	if r.res.Failure == nil {
		r.res.Failure = &TestFailure{Code: FailureBinding, Message: err.(*BindingError).Message}
	}
	return err
}

// begin returns the run in progress after gating b.
func begin(b abi.Binding) (*testRun, error) {
	r := current
	if r == nil {
		return nil, bindingError(b, abi.StatusInternal, "no workflow is running: on native builds bindings work only inside TestHost.Run")
	}
	if err := r.gate(b); err != nil {
		return nil, err
	}
	return r, nil
}

var levelNames = map[int32]string{
	abi.LevelDebug: "debug", abi.LevelInfo: "info", abi.LevelWarn: "warn", abi.LevelError: "error",
}

func sysLog(level int32, msg string) {
	r, err := begin(abi.BindingConsole)
	if err != nil {
		return
	}
	r.res.Console = append(r.res.Console, ConsoleLine{Level: levelNames[level], Text: msg})
}

func sysDenyAccess(reason string) error {
	r, err := begin(abi.BindingAuth)
	if err != nil {
		return err
	}
	r.res.Denied = &Denial{Reason: reason}
	return nil
}

var (
	tokenNames = map[int32]string{abi.TokenAccess: "accessToken", abi.TokenID: "idToken", abi.TokenM2M: "m2mToken"}
	tokenDescs = map[int32]string{abi.TokenAccess: "access token", abi.TokenID: "ID token", abi.TokenM2M: "M2M token"}
)

func sysSetClaim(token int32, b abi.Binding, name string, value []byte) error {
	r, err := begin(b)
	if err != nil {
		return err
	}
	if name == "" {
		return bindingError(b, abi.StatusInvalidArgument, "claim name is empty")
	}
	if slices.Contains(abi.ProhibitedClaims(int(token)), name) {
		r.res.DroppedClaims = append(r.res.DroppedClaims, tokenNames[token]+":"+name)
		r.res.Console = append(r.res.Console, ConsoleLine{Level: "warn",
			Text: fmt.Sprintf("claim %q is reserved on the %s and was dropped", name, tokenDescs[token])})
		return nil
	}
	var m *map[string]json.RawMessage
	switch token {
	case abi.TokenAccess:
		m = &r.res.AccessTokenClaims
	case abi.TokenID:
		m = &r.res.IDTokenClaims
	default:
		m = &r.res.M2MTokenClaims
	}
	if *m == nil {
		*m = make(map[string]json.RawMessage)
	}
	(*m)[name] = append(json.RawMessage(nil), value...)
	return nil
}

func sysSetEnforcementPolicy(policy string) error {
	r, err := begin(abi.BindingMFA)
	if err != nil {
		return err
	}
	if policy != MFARequired && policy != MFASkip {
		return bindingError(abi.BindingMFA, abi.StatusInvalidArgument,
			fmt.Sprintf("MFA enforcement policy %q is neither %q nor %q", policy, MFARequired, MFASkip))
	}
	r.res.MFAPolicy = policy
	return nil
}

var knownFactors = []string{FactorSMS, FactorEmail, FactorAuthenticatorApp, FactorBackupCode}

func sysMFAFactors(kind int32, factorsJSON []byte) error {
	r, err := begin(abi.BindingMFA)
	if err != nil {
		return err
	}
	var factors []string
	if err := json.Unmarshal(factorsJSON, &factors); err != nil {
		return bindingError(abi.BindingMFA, abi.StatusInvalidArgument, fmt.Sprintf("factors are not a JSON array of strings: %v", err))
	}
	for _, f := range factors {
		if !slices.Contains(knownFactors, f) {
			return bindingError(abi.BindingMFA, abi.StatusInvalidArgument,
				fmt.Sprintf("unknown MFA factor %q (want one of %s)", f, strings.Join(knownFactors, ", ")))
		}
	}
	if kind == abi.FactorsEnroll {
		r.res.EnrollWith = factors
	} else {
		r.res.ChallengeWith = factors
	}
	return nil
}

func sysInvalidateFormField(field, message string) error {
	r, err := begin(abi.BindingWidget)
	if err != nil {
		return err
	}
	fields := abi.FormFields(r.trigger)
	if !slices.Contains(fields, field) {
		return bindingError(abi.BindingWidget, abi.StatusInvalidArgument,
			fmt.Sprintf("form field %q does not exist in trigger %s (want one of %s)", field, r.trigger, strings.Join(fields, ", ")))
	}
	if r.res.FormErrors == nil {
		r.res.FormErrors = make(map[string]string)
	}
	r.res.FormErrors[field] = message
	return nil
}

func sysDenyPlanSelection(reason string, suggestionsJSON []byte) error {
	r, err := begin(abi.BindingPlan)
	if err != nil {
		return err
	}
	if r.trigger != TriggerPlanSelection {
		return bindingError(abi.BindingPlan, abi.StatusInvalidArgument,
			fmt.Sprintf("denySelection is only valid in trigger %s, not %s", TriggerPlanSelection, r.trigger))
	}
	var suggestions []string
	if err := json.Unmarshal(suggestionsJSON, &suggestions); err != nil {
		return bindingError(abi.BindingPlan, abi.StatusInvalidArgument, fmt.Sprintf("suggestions are not a JSON array of strings: %v", err))
	}
	if len(suggestions) == 0 {
		suggestions = nil
	}
	r.res.PlanDenied = &PlanDenial{Reason: reason, Suggestions: suggestions}
	return nil
}

func sysDenyPlanCancellation(reason string) error {
	r, err := begin(abi.BindingPlan)
	if err != nil {
		return err
	}
	if r.trigger != TriggerPlanCancellationRequest {
		return bindingError(abi.BindingPlan, abi.StatusInvalidArgument,
			fmt.Sprintf("denyCancellation is only valid in trigger %s, not %s", TriggerPlanCancellationRequest, r.trigger))
	}
	r.res.PlanDenied = &PlanDenial{Reason: reason}
	return nil
}

func sysFetch(secure bool, reqJSON []byte) ([]byte, error) {
	b, serve := abi.BindingFetch, (*TestHost).fetchFunc
	if secure {
		b, serve = abi.BindingSecureFetch, (*TestHost).secureFetchFunc
	}
	r, err := begin(b)
	if err != nil {
		return nil, err
	}
	var req abi.FetchRequest
	if err := json.Unmarshal(reqJSON, &req); err != nil {
		return nil, bindingError(b, abi.StatusInvalidArgument, fmt.Sprintf("request is not valid JSON: %v", err))
	}
	if req.URL == "" {
		return nil, bindingError(b, abi.StatusInvalidArgument, "url is empty")
	}
	if req.Method == "" {
		req.Method = "GET"
		if secure {
			req.Method = "POST"
		}
	}
	if max := r.host.MaxFetchCalls; max > 0 && len(r.res.Fetches) >= max {
		return nil, bindingError(b, abi.StatusLimitExceeded, fmt.Sprintf("%s: at most %d fetch calls per execution", b, max))
	}
	r.res.Fetches = append(r.res.Fetches, req)
	fn := serve(r.host)
	if fn == nil {
		return nil, bindingError(b, abi.StatusFetchFailed, fmt.Sprintf("fetch %s: the test host has no Fetch function", req.URL))
	}
	resp, err := fn(r.ctx, req)
	if err != nil {
		return nil, bindingError(b, abi.StatusFetchFailed, fmt.Sprintf("fetch %s: %v", req.URL, err))
	}
	js, err := json.Marshal(resp)
	if err != nil {
		return nil, bindingError(b, abi.StatusInternal, fmt.Sprintf("fetch %s: encode response: %v", req.URL, err))
	}
	return js, nil
}

func (h *TestHost) fetchFunc() func(context.Context, abi.FetchRequest) (abi.FetchResponse, error) {
	return h.Fetch
}

func (h *TestHost) secureFetchFunc() func(context.Context, abi.FetchRequest) (abi.FetchResponse, error) {
	if h.SecureFetch != nil {
		return h.SecureFetch
	}
	return h.Fetch
}

func sysGetEnv(key string) ([]byte, error) {
	r, err := begin(abi.BindingEnv)
	if err != nil {
		return nil, err
	}
	v, ok := r.host.Env[key]
	if !ok {
		return nil, bindingError(abi.BindingEnv, abi.StatusNotFound, fmt.Sprintf("environment variable %q does not exist", key))
	}
	if v.IsSecret && v.Value != "" {
		r.secrets = append(r.secrets, v.Value)
	}
	return json.Marshal(abi.EnvValue{Value: v.Value, IsSecret: v.IsSecret})
}
