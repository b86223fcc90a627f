package wfcli

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	lapi "github.com/gatehouse-id/gatehouse/services/logs/api"
)

// logTimeFormat is how log times are shown (local time, milliseconds).
const logTimeFormat = "2006-01-02 15:04:05.000"

// formatRecord renders a record for people. A runtime record is a header
// line, then its console lines and what the workflow decided, indented;
// a build or sync record is one line.
func formatRecord(r lapi.Record) string {
	var b strings.Builder
	ts := r.Time.Local().Format(logTimeFormat)
	if r.Kind != lapi.KindRuntime {
		fmt.Fprintf(&b, "%s  %-5s  deployment=%s  %s\n", ts, orDefault(r.Level, "info"), orDefault(r.DeploymentID, "-"), sanitize(r.Message, "    "))
		return b.String()
	}
	fmt.Fprintf(&b, "%s  %s  %s  %s  %s", ts, r.ID, orDefault(r.Trigger, "-"), orDefault(string(r.Outcome), "-"), formatDuration(r.DurationMs))
	if r.WorkflowID != "" {
		fmt.Fprintf(&b, "  workflow=%s", r.WorkflowID)
	}
	if r.DeploymentID != "" {
		fmt.Fprintf(&b, "  deployment=%s", r.DeploymentID)
	}
	b.WriteByte('\n')
	for _, l := range r.Console {
		fmt.Fprintf(&b, "  [%s] %s\n", orDefault(l.Level, "info"), sanitize(l.Text, "    "))
	}
	if r.Error != nil {
		fmt.Fprintf(&b, "  error %s: %s\n", sanitize(r.Error.Code, ""), sanitize(r.Error.Message, "    "))
	}
	if s := r.Summary; s != nil {
		line := func(label, value string) {
			if value != "" {
				fmt.Fprintf(&b, "  %s: %s\n", label, sanitize(value, "    "))
			}
		}
		list := func(label string, values []string) {
			if len(values) > 0 {
				line(label, strings.Join(values, ", "))
			}
		}
		line("denied", s.Denied)
		line("plan request denied", s.PlanDenied)
		for _, field := range sortedKeys(s.FormErrors) {
			line("form error "+field, s.FormErrors[field])
		}
		list("access token claims set", s.AccessTokenClaims)
		list("ID token claims set", s.IDTokenClaims)
		list("M2M token claims set", s.M2MTokenClaims)
		list("dropped claims (reserved, not applied)", s.DroppedClaims)
		line("MFA policy", s.MFAPolicy)
		list("challenge with", s.ChallengeWith)
		list("enroll with", s.EnrollWith)
		if r.Error != nil {
			line("failure policy", s.FailurePolicy)
		}
	}
	return b.String()
}

// formatDuration shows an execution's duration.
func formatDuration(ms float64) string {
	switch {
	case ms <= 0:
		return "-"
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case ms < 10_000:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s"
}

// sanitize makes text that a workflow wrote safe for a terminal: control
// characters are escaped, so no escape sequence reaches the terminal, and
// each line after the first is indented by indent.
func sanitize(s, indent string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = escapeControls(strings.TrimSuffix(l, "\r"))
	}
	return strings.Join(lines, "\n"+indent)
}

// escapeControls writes control characters other than tab as Go escapes.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, isEscaped) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isEscaped(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isEscaped(r rune) bool {
	return r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r))
}
