package bench

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of DESIGN §14.
const (
	TargetRatioP50        = 1.5                    // trigger p50 ≤ 1.5× echo p50
	TargetTriggerP99      = time.Millisecond       // trigger p99
	TargetExecsPerSecond  = 20000                  // pooled executions per second on 2 cores
	TargetNoWorkflow      = 5 * time.Microsecond   // frontdoor cost of a trigger with no workflow
	TargetUploadToLive    = 2 * time.Second        // upload to first live execution
	TargetRestartFirstRun = 100 * time.Millisecond // restarted worker's first execution
	TargetTokenRatio      = 0.8                    // token endpoint with an m2m workflow / without
)

// RatioP50 is the trigger p50 over the echo p50.
func (r Result) RatioP50() float64 {
	if r.Echo.P50 == 0 {
		return 0
	}
	return float64(r.Trigger.P50) / float64(r.Echo.P50)
}

// Check is one target and whether the run met it.
type Check struct {
	Name string
	Met  bool
}

// TokenRatio is the token endpoint's best client_credentials throughput
// with the m2m:token_generation workflow over the best without one.
func (r Result) TokenRatio() float64 {
	if r.TokenBare.Best.PerSecond == 0 {
		return 0
	}
	return r.TokenWorkflow.Best.PerSecond / r.TokenBare.Best.PerSecond
}

// Checks evaluates every §14 target the measured rows cover.
func (r Result) Checks() []Check {
	var c []Check
	if r.Measured(RowsTrigger) {
		c = append(c, r.triggerChecks()...)
	}
	if r.Measured(RowsToken) {
		c = append(c, r.tokenCheck())
	}
	return c
}

// tokenCheck is the token endpoint target: with the workflow at least 80 %
// of the throughput without, and no failed request in either run.
func (r Result) tokenCheck() Check {
	return Check{"token endpoint with an m2m workflow ≥ 80 % of without", r.TokenRatio() >= TargetTokenRatio &&
		r.TokenBare.errors() == 0 && r.TokenWorkflow.errors() == 0}
}

// errors counts the failed requests of every level.
func (t TokenEndpoint) errors() int {
	n := 0
	for _, l := range t.Levels {
		n += l.Errors
	}
	return n
}

// triggerChecks are the targets of the trigger rows, in table order.
func (r Result) triggerChecks() []Check {
	t := r.Throughput
	return []Check{
		{"trigger p50 ≤ 1.5× echo", r.RatioP50() <= TargetRatioP50},
		{"trigger p99 ≤ 1 ms", r.Trigger.P99 <= TargetTriggerP99},
		{"≥ 20,000 executions/s, none shed", t.PerSecond >= TargetExecsPerSecond && t.Shed == 0 && t.Errors == 0},
		{"trigger faster than the webhook", r.Trigger.P50 < r.Webhook.P50},
		{"trigger faster than goja", r.Trigger.P50 < r.Goja.P50},
		{"no live workflow ≤ 5 µs", r.NoWorkflow.P50 <= TargetNoWorkflow},
		{"upload → live ≤ 2 s", r.UploadToLive.Total <= TargetUploadToLive},
		{"restart first execution ≤ 100 ms", r.Restart.Total() <= TargetRestartFirstRun},
	}
}

// Line is the one-line summary: "BENCH key=value …", times in microseconds
// (_us) or milliseconds (_ms). It has the keys of the measured rows:
// LineKeys, TokenLineKeys, FlowLineKeys.
func (r Result) Line() string {
	var kv []string
	if r.Measured(RowsTrigger) {
		kv = append(kv, r.triggerLine()...)
	}
	if r.Measured(RowsToken) {
		kv = append(kv,
			"token_cc_per_s="+strconv.FormatFloat(r.TokenBare.Best.PerSecond, 'f', 0, 64),
			"token_cc_m2m_per_s="+strconv.FormatFloat(r.TokenWorkflow.Best.PerSecond, 'f', 0, 64),
			"token_m2m_ratio="+strconv.FormatFloat(r.TokenRatio(), 'f', 2, 64))
	}
	if r.Measured(RowsFlow) {
		f := r.Flow
		kv = append(kv,
			"flow_authorize_p50_ms="+ms2(f.Authorize.P50),
			"flow_sign_in_page_p50_ms="+ms2(f.SignInPage.P50),
			"flow_sign_in_p50_ms="+ms2(f.SignIn.P50),
			"flow_exchange_p50_ms="+ms2(f.Exchange.P50),
			"flow_refresh_p50_ms="+ms2(f.Refresh.P50),
			"flow_total_p50_ms="+ms2(f.Total.P50),
			"argon2id_p50_ms="+ms2(f.Argon2.P50))
	}
	return "BENCH " + strings.Join(kv, " ")
}

// triggerLine are the key=value pairs of the trigger rows.
func (r Result) triggerLine() []string {
	return []string{
		"echo_p50_us=" + us(r.Echo.P50),
		"trigger_p50_us=" + us(r.Trigger.P50),
		"trigger_p99_us=" + us(r.Trigger.P99),
		"ratio_p50=" + strconv.FormatFloat(r.RatioP50(), 'f', 2, 64),
		"execs_per_s=" + strconv.FormatFloat(r.Throughput.PerSecond, 'f', 0, 64),
		"webhook_p50_us=" + us(r.Webhook.P50),
		"goja_p50_us=" + us(r.Goja.P50),
		"fresh_instance_us=" + us(r.Fresh.P50),
		"no_workflow_overhead_us=" + strconv.FormatFloat(float64(r.NoWorkflow.P50)/1e3, 'f', 3, 64),
		"upload_to_live_ms=" + ms(r.UploadToLive.Total),
		"restart_first_exec_ms=" + ms(r.Restart.Total()),
		"pooled_exec_us=" + us(r.Pooled.P50),
	}
}

func us(d time.Duration) string  { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) }
func ms(d time.Duration) string  { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }
func ms2(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

// ParseLine reads a line written by Line into its key=value pairs.
func ParseLine(line string) (map[string]float64, error) {
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "BENCH" {
		return nil, errors.New("bench line: it does not start with BENCH")
	}
	out := make(map[string]float64, len(fields)-1)
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("bench line: %q is not key=value", f)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("bench line: %s: %w", k, err)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("bench line: %s appears twice", k)
		}
		out[k] = x
	}
	return out, nil
}

// LineKeys are the keys of the trigger rows in a BENCH line, in order.
var LineKeys = []string{"echo_p50_us", "trigger_p50_us", "trigger_p99_us", "ratio_p50", "execs_per_s",
	"webhook_p50_us", "goja_p50_us", "fresh_instance_us", "no_workflow_overhead_us",
	"upload_to_live_ms", "restart_first_exec_ms", "pooled_exec_us"}

// TokenLineKeys are the keys of the token endpoint rows, in order.
var TokenLineKeys = []string{"token_cc_per_s", "token_cc_m2m_per_s", "token_m2m_ratio"}

// FlowLineKeys are the keys of the authorization-code flow rows, in order.
var FlowLineKeys = []string{"flow_authorize_p50_ms", "flow_sign_in_page_p50_ms", "flow_sign_in_p50_ms",
	"flow_exchange_p50_ms", "flow_refresh_p50_ms", "flow_total_p50_ms", "argon2id_p50_ms"}

// WriteTable prints the results of the measured rows with the §14
// targets; the authorization-code flow has a table of its own.
func (r Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	verdict := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "MISS"
	}
	row := func(name string, l *Latency, notes, target, result string) {
		p50, p99 := "", ""
		if l != nil {
			p50, p99 = dur(l.P50), dur(l.P99)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, p50, p99, notes, target, result)
	}
	if r.Measured(RowsTrigger) || r.Measured(RowsToken) {
		fmt.Fprintln(tw, "measurement\tp50\tp99\tthroughput/notes\ttarget\tresult")
	}
	if r.Measured(RowsTrigger) {
		r.triggerRows(row, verdict)
	}
	if r.Measured(RowsToken) {
		b, wf := r.TokenBare.Best, r.TokenWorkflow.Best
		row("token endpoint, no workflow", nil, fmt.Sprintf("client_credentials over HTTP: %.0f tokens/s with %d callers (tried %s); errors %d; CPU %s/token = %.0f/s on %d idle CPUs",
			b.PerSecond, b.Callers, levels(r.TokenBare.Levels), r.TokenBare.errors(), dur(b.CPU), b.CPUBound(r.CPUs), r.CPUs), "-", "")
		row("token endpoint, m2m workflow", nil, fmt.Sprintf("m2mtoorg live: %.0f tokens/s with %d callers (tried %s); errors %d; CPU %s/token; %.0f %% of no workflow (%.0f %% by CPU per token)",
			wf.PerSecond, wf.Callers, levels(r.TokenWorkflow.Levels), r.TokenWorkflow.errors(), dur(wf.CPU), 100*r.TokenRatio(), 100*ratio(b.CPU, wf.CPU)),
			"≥ 80 % of no workflow", verdict(r.tokenCheck().Met))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Measured(RowsFlow) {
		if r.Measured(RowsTrigger) || r.Measured(RowsToken) {
			fmt.Fprintln(w)
		}
		return r.writeFlow(w)
	}
	return nil
}

// levels formats the throughput of each concurrency level as callers:rate.
func levels(ts []Throughput) string {
	var out []string
	for _, l := range ts {
		out = append(out, fmt.Sprintf("%d:%.0f", l.Callers, l.PerSecond))
	}
	return strings.Join(out, " ")
}

// writeFlow prints the authorization-code flow's steps.
func (r Result) writeFlow(w io.Writer) error {
	f := r.Flow
	fmt.Fprintf(w, "authorization-code flow with PKCE over HTTP, a fresh browser per flow, environment without workflows; n=%d\n", f.Total.N)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name string, s Step, notes string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, dur(s.P50), dur(s.P95), dur(s.Mean), notes)
	}
	fmt.Fprintln(tw, "step\tp50\tp95\tmean\tnotes")
	row("GET /oauth2/auth", f.Authorize, "client and request checks, 303 to the sign-in page")
	row("GET /sign-in", f.SignInPage, "the form and its CSRF cookie")
	share := 0.0
	if f.SignIn.P50 > 0 {
		share = 100 * float64(f.Argon2.P50) / float64(f.SignIn.P50)
	}
	row("POST /sign-in", f.SignIn, fmt.Sprintf("attempt limits, argon2id, session, code; argon2id is %.0f %% of it", share))
	row("POST /oauth2/token (code)", f.Exchange, "code + PKCE S256 → access, ID and refresh tokens")
	row("POST /oauth2/token (refresh)", f.Refresh, "refresh with rotation")
	row("whole flow", f.Total, "the five steps")
	p := f.Params
	row("argon2id verify alone", f.Argon2, fmt.Sprintf("PasswordHasher.Verify, m=%d MiB t=%d p=%d", p.Memory/1024, p.Time, p.Threads))
	return tw.Flush()
}

// triggerRows prints the trigger rows.
func (r Result) triggerRows(row func(string, *Latency, string, string, string), verdict func(bool) string) {
	c := r.triggerChecks()
	row("NATS echo (floor)", &r.Echo, fmt.Sprintf("%d-byte request, responder and client on their own connections; CPU %s/op; n=%d",
		r.PayloadBytes, dur(r.Echo.CPU), r.Echo.N), "-", "")
	row("trigger round trip", &r.Trigger, fmt.Sprintf("Client.Fire → NATS → worker → wasm; %.2f× echo; CPU %s/op; n=%d",
		r.RatioP50(), dur(r.Trigger.CPU), r.Trigger.N),
		fmt.Sprintf("p50 ≤ 1.5× echo (%s); p99 ≤ 1 ms", dur(time.Duration(float64(r.Echo.P50)*TargetRatioP50))),
		verdict(c[0].Met)+"/"+verdict(c[1].Met))
	t := r.Throughput
	row("trigger throughput", nil, fmt.Sprintf("%.0f execs/s with %d callers (tried %s); shed %d, errors %d; worker %d slots, queue %d; CPU %s/exec = %.0f/s on %d idle CPUs",
		t.PerSecond, t.Callers, levels(r.Levels), t.Shed, t.Errors, r.WorkerConcurrency, r.WorkerQueue,
		dur(t.CPU), t.CPUBound(r.CPUs), r.CPUs),
		"≥ 20,000/s, 0 shed", verdict(c[2].Met))
	row("HTTP webhook (loopback)", &r.Webhook, fmt.Sprintf("net/http, keep-alive, JSON in and out; trigger is %.2f× of it; CPU %s/op",
		ratio(r.Trigger.P50, r.Webhook.P50), dur(r.Webhook.CPU)), "trigger p50 faster", verdict(c[3].Met))
	row("goja, fresh runtime", &r.Goja, fmt.Sprintf("in-process, JSON.parse/stringify; trigger is %.2f×, pooled wasm %.2f× of it; CPU %s/op",
		ratio(r.Trigger.P50, r.Goja.P50), ratio(r.Pooled.P50, r.Goja.P50), dur(r.Goja.CPU)), "trigger p50 faster", verdict(c[4].Met))
	row("engine, pooled instance", &r.Pooled, fmt.Sprintf("engine.Execute in-process; CPU %s/op; n=%d", dur(r.Pooled.CPU), r.Pooled.N), "-", "")
	row("engine, fresh instance", &r.Fresh, fmt.Sprintf("PoolSize 0: instantiate + Go runtime init per run; %.0f× pooled; CPU %s/op; n=%d",
		ratio(r.Fresh.P50, r.Pooled.P50), dur(r.Fresh.CPU), r.Fresh.N), "-", "")
	row("no live workflow", &r.NoWorkflow, fmt.Sprintf("Client.Fire, warm live-trigger cache; mean %s", dur(r.NoWorkflow.Mean)), "≤ 5 µs", verdict(c[5].Met))
	u := r.UploadToLive
	row("upload → live", nil, fmt.Sprintf("%s: put %s + upload RPC %s + first decision %s; %.1f MB module; Go build %s not included",
		dur(u.Total), dur(u.Put), dur(u.Upload), dur(u.FirstExec), float64(r.WasmBytes)/(1<<20), dur(r.Build)), "≤ 2 s", verdict(c[6].Met))
	rs := r.Restart
	row("restart, first execution", nil, fmt.Sprintf("%s: Compile from disk cache %s + first Execute %s (engine.New %s before)",
		dur(rs.Total()), dur(rs.Compile), dur(rs.FirstExec), dur(rs.New)), "≤ 100 ms", verdict(c[7].Met))
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// dur formats d with three significant digits in a unit that fits.
func dur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	default:
		return strconv.FormatFloat(float64(d)/1e9, 'f', 2, 64) + "s"
	}
}
