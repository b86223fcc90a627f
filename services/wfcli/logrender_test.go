package wfcli

import (
	"strings"
	"testing"
	"time"

	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
)

func TestFormatRecord(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	ts := at.Local().Format(logTimeFormat)
	runtime := lapi.Record{ID: "exe_1", Kind: lapi.KindRuntime, Env: "production", WorkflowID: "wf", DeploymentID: "dep_1",
		Time: at, Trigger: "user:pre_mfa", DurationMs: 12.34, Outcome: lapi.OutcomeDenied,
		Console: []lapi.ConsoleLine{{Level: "info", Text: "two\nlines"}, {Level: "warn", Text: "bell\a and \x1b[31mred"}},
		Error:   &lapi.ExecError{Code: "workflow_error", Message: "the CRM is down"},
		Summary: &lapi.DecisionSummary{Denied: "not from here", FormErrors: map[string]string{"b": "bad", "a": "worse"},
			AccessTokenClaims: []string{"x", "y"}, MFAPolicy: "required", DroppedClaims: []string{"sub"}, FailurePolicy: "stop"},
	}
	want := ts + "  exe_1  user:pre_mfa  denied  12.3ms  workflow=wf  deployment=dep_1\n" +
		"  [info] two\n    lines\n" +
		"  [warn] bell\\a and \\x1b[31mred\n" +
		"  error workflow_error: the CRM is down\n" +
		"  denied: not from here\n" +
		"  form error a: worse\n  form error b: bad\n" +
		"  access token claims set: x, y\n" +
		"  dropped claims (reserved, not applied): sub\n" +
		"  MFA policy: required\n" +
		"  failure policy: stop\n"
	if got := formatRecord(runtime); got != want {
		t.Errorf("runtime record:\n%s\nwant:\n%s", got, want)
	}

	shed := lapi.Record{ID: "exe_2", Kind: lapi.KindRuntime, Time: at, Trigger: "user:tokens_generation", Outcome: lapi.OutcomeShed,
		Error: &lapi.ExecError{Code: "shed", Message: "the worker is full"}}
	if got, want := formatRecord(shed), ts+"  exe_2  user:tokens_generation  shed  -\n  error shed: the worker is full\n"; got != want {
		t.Errorf("shed record = %q, want %q", got, want)
	}

	build := lapi.Record{ID: "log_1", Kind: lapi.KindBuild, Time: at, DeploymentID: "dep_1", Level: "error", Message: "module does not compile"}
	if got, want := formatRecord(build), ts+"  error  deployment=dep_1  module does not compile\n"; got != want {
		t.Errorf("build record = %q, want %q", got, want)
	}
}

func TestParseLogTime(t *testing.T) {
	now := time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"90m":                  now.Add(-90 * time.Minute),
		"2025-03-01T10:00:00Z": time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		"2025-03-01":           time.Date(2025, 3, 1, 0, 0, 0, 0, time.Local),
	} {
		got, err := parseLogTime("--since", in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseLogTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1h", "0s", "yesterday", "2025-13-01"} {
		if _, err := parseLogTime("--since", in, now); err == nil {
			t.Errorf("parseLogTime(%q) accepted it", in)
		} else if _, ok := err.(*usageError); !ok {
			t.Errorf("parseLogTime(%q): %v is not a usage error", in, err)
		}
	}
}

func TestReadValueRemovesOneTrailingNewline(t *testing.T) {
	for in, want := range map[string]string{
		"v":          "v",
		"v\n":        "v",
		"v\r\n":      "v",
		"v\n\n":      "v\n",
		"a\nb\n":     "a\nb",
		"":           "",
		"\n":         "",
		" spaced \n": " spaced ",
	} {
		got, err := readValue(strings.NewReader(in), "")
		if err != nil || got != want {
			t.Errorf("readValue(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
