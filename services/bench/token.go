package bench

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// Environments of the token endpoint rows: each has its own M2M
// application; only the second has the m2m:token_generation workflow.
const (
	tokenEnvBare     = "bench-cc"
	tokenEnvWorkflow = "bench-cc-m2m"
	// tokenAudience is the API the M2M tokens are for.
	tokenAudience = "https://api.bench.example"
)

// m2mtoorg maps this client id to m2mOrg in its table; the bench build
// maps the workflow environment's application instead.
const (
	m2mtoorgClientID = `"299627bd8bfa493f8b17e6aec8ebfb86"`
	m2mOrg           = "org_acme"
	m2mOrgClaim      = "org_code"
)

// TokenEndpoint is the client_credentials throughput of the token
// endpoint at every concurrency level tried, and the best of them.
type TokenEndpoint struct {
	Best   Throughput
	Levels []Throughput
}

// tokenClient requests client_credentials tokens from one environment.
type tokenClient struct {
	fd               *frontdoor
	env              string
	clientID, secret string
	form             url.Values
	// wantOrg is the org_code claim every token must carry; empty: none.
	wantOrg string
}

// m2mApp registers the M2M application of env.
func (f *frontdoor) m2mApp(ctx context.Context, env string) (*tokenClient, error) {
	if _, err := f.ids.EnsureEnvironment(ctx, env, ""); err != nil {
		return nil, fmt.Errorf("create environment %s: %w", env, err)
	}
	app, secret, err := f.ids.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "Bench M2M", Type: identity.AppM2M,
		Audiences: []string{tokenAudience}, Scopes: []string{"read"}})
	if err != nil {
		return nil, fmt.Errorf("create the M2M application of %s: %w", env, err)
	}
	return &tokenClient{fd: f, env: env, clientID: app.ClientID, secret: secret,
		form: url.Values{"grant_type": {"client_credentials"}, "audience": {tokenAudience}}}, nil
}

// token requests one token and checks the workflow's claim.
func (c *tokenClient) token(ctx context.Context) error {
	tr, err := c.fd.postToken(ctx, c.fd.client(nil), c.env, c.form, c.clientID, c.secret)
	if err != nil {
		return err
	}
	var org string
	has, err := jwtClaim(tr.AccessToken, m2mOrgClaim, &org)
	switch {
	case err != nil:
		return fmt.Errorf("the M2M access token of %s: %w", c.env, err)
	case c.wantOrg == "" && has:
		return fmt.Errorf("the M2M access token of %s has %s %q but no workflow is live there", c.env, m2mOrgClaim, org)
	case c.wantOrg != "" && org != c.wantOrg:
		return fmt.Errorf("the M2M access token of %s has %s %q, want %q from the workflow", c.env, m2mOrgClaim, org, c.wantOrg)
	}
	return nil
}

// measureTokenEndpoint measures client_credentials throughput over HTTP
// without a workflow and with m2mtoorg live, at every concurrency level;
// the two runs of a level follow each other. When profile is not nil, the
// runs are CPU-profiled into it.
func (s *stack) measureTokenEndpoint(ctx context.Context, cfg Config, dir string, fd *frontdoor, profile io.Writer,
	step func(string, ...any)) (bare, wf TokenEndpoint, err error) {
	noWF, err := fd.m2mApp(ctx, tokenEnvBare)
	if err != nil {
		return bare, wf, err
	}
	withWF, err := fd.m2mApp(ctx, tokenEnvWorkflow)
	if err != nil {
		return bare, wf, err
	}
	step("building %s for client %s", m2mtoorgDir, withWF.clientID)
	wasm, err := buildPatched(ctx, cfg.RepoRoot, dir, m2mtoorgDir, "m2mtoorg", m2mtoorgClientID, strconv.Quote(withWF.clientID))
	if err != nil {
		return bare, wf, err
	}
	step("uploading m2mtoorg to %s", tokenEnvWorkflow)
	if _, _, err := s.uploadTo(ctx, tokenEnvWorkflow, wasm, "m2mtoorg"); err != nil {
		return bare, wf, err
	}
	// The frontdoor learns of the deployment from the change event.
	withWF.wantOrg = m2mOrg
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := withWF.token(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return bare, wf, fmt.Errorf("m2mtoorg is not applied by the token endpoint 30s after going live: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := noWF.token(ctx); err != nil {
		return bare, wf, err
	}

	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return bare, wf, fmt.Errorf("start the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	for _, n := range cfg.Concurrency {
		for _, run := range []struct {
			c   *tokenClient
			out *TokenEndpoint
		}{{noWF, &bare}, {withWF, &wf}} {
			settle()
			step("token endpoint, client_credentials in %s: %d callers for %s", run.c.env, n, cfg.TokenTime)
			t, err := hammer(ctx, n, cfg.TokenTime, run.c.token)
			if err != nil {
				return bare, wf, fmt.Errorf("token endpoint in %s: %w", run.c.env, err)
			}
			run.out.Levels = append(run.out.Levels, t)
			if t.PerSecond > run.out.Best.PerSecond {
				run.out.Best = t
			}
		}
	}
	return bare, wf, nil
}

// hammer calls op from callers goroutines for d after a short untimed
// warm-up and counts the calls that succeeded and failed. It fails when
// every call failed.
func hammer(ctx context.Context, callers int, d time.Duration, op func(context.Context) error) (Throughput, error) {
	if _, err := hammerFor(ctx, callers, min(d/4, 500*time.Millisecond), op); err != nil {
		return Throughput{}, err
	}
	return hammerFor(ctx, callers, d, op)
}

func hammerFor(ctx context.Context, callers int, d time.Duration, op func(context.Context) error) (Throughput, error) {
	var ok, errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	stop := start.Add(d)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				if err := op(ctx); err != nil {
					firstErr.CompareAndSwap(nil, err)
					errs.Add(1)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	if err := ctx.Err(); err != nil {
		return Throughput{}, fmt.Errorf("%d callers: %w", callers, err)
	}
	t := Throughput{Callers: callers, Executions: int(ok.Load()), Errors: int(errs.Load()), Elapsed: elapsed,
		PerSecond: float64(ok.Load()) / elapsed.Seconds(), CPU: cpu / time.Duration(max(1, ok.Load()))}
	if e, _ := firstErr.Load().(error); e != nil && t.Executions == 0 {
		return t, fmt.Errorf("%d callers: every call failed: %w", callers, e)
	}
	return t, nil
}

// settle collects garbage between runs, so that one run's garbage is not
// collected during the next.
func settle() { runtime.GC() }
