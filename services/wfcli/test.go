package wfcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/services/worker/egress"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// localEnv is the environment name a local test run reports to the engine.
const localEnv = "local"

func runTest(c *cli, args []string) error {
	f := c.flags("test")
	eventPath := f.String("event", "", "event JSON file (required; - reads standard input)")
	envFile := f.String("env", "", "dotenv file (KEY=value lines) served to GetEnvironmentVariable as plain variables")
	secretFile := f.String("secret-env", "", "dotenv file served to GetEnvironmentVariable as secrets (redacted from console output)")
	var allow listFlag
	f.Var(&allow, "allow-fetch", "comma list of host:port or CIDRs that fetch may reach although they are loopback or private; also allows plain http (for local mocks)")
	asJSON := f.Bool("json", false, "print the raw decision JSON")
	timeout := f.Duration("timeout", engine.DefaultLimits().Timeout, "execution timeout")
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return err
	}
	target := "."
	if len(pos) == 1 {
		target = pos[0]
	}
	event, err := c.readEvent(*eventPath)
	if err != nil {
		return err
	}
	vars, err := loadEnvVars(*envFile, *secretFile)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	eg := egress.DefaultConfig()
	eg.Allow = allow
	if err := eg.Validate(); err != nil {
		return usagef("--allow-fetch: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout+time.Minute)
	defer cancel()
	wasm, label, err := loadModule(ctx, target, c.stderr)
	if err != nil {
		return err
	}
	d, settings, err := runLocal(ctx, wasm, event, vars, allow, *timeout, c.stderr)
	if err != nil {
		return err
	}
	if t := eventTrigger(event); t != "" && t != settings.Trigger {
		fmt.Fprintf(c.stderr, "warning: the event is a %s event but workflow %q runs on %s\n", t, settings.ID, settings.Trigger)
	}
	if *asJSON {
		if err := printJSON(c.stdout, d); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "%s: workflow %q on %s, bindings %s, failure policy %s\n",
			label, settings.ID, settings.Trigger, bindingNames(settings), orDefault(settings.FailurePolicy.Action, abi.FailureStop))
		printDecision(c.stdout, d)
	}
	if d.Error != nil {
		return errSilent
	}
	return nil
}

// sharedCompileCache, when set, is the wazero compilation cache runLocal
// uses instead of a temporary one. Tests set it so that each module is
// compiled once per machine rather than once per run.
var sharedCompileCache string

// runLocal compiles wasm in a fresh engine with a temporary compilation
// cache and runs it once on event.
func runLocal(ctx context.Context, wasm, event []byte, vars envVars, allow []string, timeout time.Duration, logTo io.Writer) (api.Decision, abi.Settings, error) {
	cache := sharedCompileCache
	if cache == "" {
		tmp, err := os.MkdirTemp("", "gatehouse-wf-cache-")
		if err != nil {
			return api.Decision{}, abi.Settings{}, fmt.Errorf("temporary compilation cache: %w", err)
		}
		defer os.RemoveAll(tmp)
		cache = tmp
	}
	limits := engine.DefaultLimits()
	limits.Timeout = timeout
	limits.PoolSize = 0
	eng, err := engine.New(ctx, engine.Config{
		CacheDir: cache,
		Limits:   limits,
		Egress:   egress.Config{Allow: allow, AllowHTTP: len(allow) > 0},
		Env:      vars,
		Logger:   slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return api.Decision{}, abi.Settings{}, fmt.Errorf("start the workflow engine: %w", err)
	}
	defer eng.Close(context.WithoutCancel(ctx))
	m, err := eng.Compile(ctx, wasm)
	if err != nil {
		return api.Decision{}, abi.Settings{}, fmt.Errorf("the module cannot be loaded: %w", err)
	}
	d := eng.Execute(ctx, m, engine.Run{Env: localEnv, Event: event, ExecutionID: ids.New("exe")})
	return d, m.Settings(), nil
}

func bindingNames(s abi.Settings) string {
	if len(s.Bindings) == 0 {
		return "none"
	}
	names := make([]string, 0, len(s.Bindings))
	for b := range s.Bindings {
		names = append(names, string(b))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
