package platform

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/devpg"
	"github.com/gatehouse-id/gatehouse/pkg/embednats"
	"github.com/gatehouse-id/gatehouse/pkg/modules"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/demo"
	"github.com/gatehouse-id/gatehouse/services/deployments"
	"github.com/gatehouse-id/gatehouse/services/frontdoor"
	"github.com/gatehouse-id/gatehouse/services/keys"
	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/mfa"
	"github.com/gatehouse-id/gatehouse/services/tokens"
	"github.com/gatehouse-id/gatehouse/services/worker"
	"github.com/gatehouse-id/gatehouse/services/worker/egress"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Platform is a running set of targets.
type Platform struct {
	cfg      Config
	log      *slog.Logger
	running  *modules.Running
	registry *prometheus.Registry
	rpcm     *natsrpc.Metrics
	router   chi.Router
	server   *http.Server
	httpAddr string

	natsServer *embednats.Server
	nc         *nats.Conn
	natsURL    string
	pgServer   *devpg.Server
	pool       *pgxpool.Pool
	dbURL      string

	frontdoor  *frontdoor.Server // nil unless the frontdoor runs here
	outbox     *delivery.Outbox  // development mode only, see devOutbox
	outboxOnce sync.Once
	demo       *demo.Demo // nil unless the demo runs (see Config.Demo)
}

// NATS returns the platform's NATS connection (nil if no target needed one).
func (p *Platform) NATS() *nats.Conn { return p.nc }

// NATSURL is the URL of the NATS server in use.
func (p *Platform) NATSURL() string { return p.natsURL }

// DatabaseURL is the URL of the PostgreSQL database in use.
func (p *Platform) DatabaseURL() string { return p.dbURL }

// HTTPAddr is the address the HTTP listener is bound to.
func (p *Platform) HTTPAddr() string { return p.httpAddr }

// Demo returns the development demo, or nil when it does not run.
func (p *Platform) Demo() *demo.Demo { return p.demo }

// pathOutbox is the development outbox page.
const pathOutbox = "/dev/outbox"

// frontdoorMailer is where the frontdoor's email goes (reset links, email
// confirmation, change notices): the outbox in development, the
// configured SMTP server in production, or nowhere (nil) without one —
// then there are no reset links at all.
func (p *Platform) frontdoorMailer() (delivery.Mailer, error) {
	if out := p.devOutbox(); out != nil {
		return out, nil
	}
	mailer, _, err := p.cfg.providers()
	if err != nil {
		return nil, err
	}
	if mailer == nil {
		p.log.Warn("no SMTP server is configured (-smtp-host): password reset, email confirmation and change notices are off")
		return nil, nil
	}
	return mailer, nil
}

// devOutbox returns the development outbox, created and routed on first
// use, or nil outside development mode: in development every message
// (reset links, one-time codes) goes to its page, never out.
func (p *Platform) devOutbox() *delivery.Outbox {
	if p.cfg.Mode != ModeDevelopment {
		return nil
	}
	p.outboxOnce.Do(func() {
		p.outbox = delivery.NewOutbox(200)
		p.router.Handle(pathOutbox, p.outbox)
	})
	return p.outbox
}

// Outbox returns the development outbox, or nil outside development mode
// or when the frontdoor does not run here.
func (p *Platform) Outbox() *delivery.Outbox { return p.outbox }

// Router is the HTTP router; targets mount their routes on it.
func (p *Platform) Router() chi.Router { return p.router }

// Targets returns the manager with every module registered, for -list-targets.
func Targets() *modules.Manager { return (&Platform{}).manager() }

// Start validates cfg and starts the selected targets, their dependencies and
// the HTTP listener.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Platform, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Platform{cfg: cfg, log: log, registry: prometheus.NewRegistry(), router: chi.NewRouter()}
	p.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p.rpcm = natsrpc.NewMetrics(p.registry)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	running, err := p.manager().Start(ctx, cfg.Targets)
	if err != nil {
		return nil, err
	}
	p.running = running
	p.startDemo(ctx)
	if err := p.serveHTTP(); err != nil {
		_ = running.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	log.Info("gatehouse is running", "targets", strings.Join(running.Names(), ","), "http", "http://"+p.httpAddr,
		"metrics", "http://"+p.httpAddr+"/metrics", "nats", p.natsURL)
	return p, nil
}

// Stop stops the HTTP listener, then every module in reverse start order.
func (p *Platform) Stop(ctx context.Context) error {
	var errs []error
	if p.server != nil {
		errs = append(errs, p.server.Shutdown(ctx))
	}
	if p.running != nil {
		errs = append(errs, p.running.Stop(ctx))
	}
	return errors.Join(errs...)
}

func (p *Platform) serveHTTP() error {
	p.router.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if p.nc != nil && !p.nc.IsConnected() {
			http.Error(w, "nats disconnected", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	p.router.Handle("/metrics", promhttp.HandlerFor(p.registry, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", p.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", p.cfg.HTTPAddr, err)
	}
	p.httpAddr = ln.Addr().String()
	p.server = &http.Server{Handler: p.router, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

func (p *Platform) manager() *modules.Manager {
	m := modules.New(p.log)
	m.Register(modules.Module{Name: "nats", Internal: true, Start: p.startNATS})
	m.Register(modules.Module{Name: "database", Internal: true, Start: p.startDatabase})
	m.Register(modules.Module{Name: "keys", Deps: []string{"nats", "database"},
		Help: "environment variables, secrets and workflow encryption keys (envelope encryption)", Start: p.startKeys})
	m.Register(modules.Module{Name: "logs", Deps: []string{"nats", "database"},
		Help: "stores runtime, build and sync logs from the log stream; queries and retention", Start: p.startLogs})
	m.Register(modules.Module{Name: "tokens", Deps: []string{"nats", "database"},
		Help: "signs access, ID, refresh and M2M tokens; rotation, revocation, introspection, JWKS", Start: p.startTokens})
	m.Register(modules.Module{Name: "mfa", Deps: []string{"nats", "database"},
		Help: "second factors (TOTP, SMS, email, backup codes), challenges and verification, MFA policies and stats", Start: p.startMFA})
	m.Register(modules.Module{Name: "deployments", Deps: []string{"nats", "database"},
		Help: "validates and stores workflow deployments; decides what is live", Start: p.startDeployments})
	m.Register(modules.Module{Name: "worker", Deps: []string{"nats"},
		Help: "runs workflows for triggers (scale horizontally)", Start: p.startWorker})
	m.Register(modules.Module{Name: "frontdoor", Deps: []string{"nats", "database"},
		Help: "the OAuth 2.1 / OpenID Connect provider: discovery, sign-in pages, authorization, token, userinfo, logout", Start: p.startFrontdoor})
	return m
}

func (p *Platform) startNATS(ctx context.Context) (func(context.Context) error, error) {
	url := p.cfg.NATSURL
	if url == "" {
		srv, err := embednats.Start(ctx, embednats.Options{
			StoreDir: p.cfg.path("nats"), Port: p.cfg.NATSPort, Host: "127.0.0.1", Logger: p.log,
		})
		if err != nil {
			return nil, fmt.Errorf("embedded NATS: %w", err)
		}
		p.natsServer = srv
		url = srv.ClientURL()
	}
	opts := []nats.Option{nats.Name("gatehouse"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	var nc *nats.Conn
	var err error
	if p.natsServer != nil {
		// In one process the services talk to the embedded server without
		// a TCP hop; other processes still reach it on url.
		nc, err = p.natsServer.Connect(opts...)
	} else {
		nc, err = nats.Connect(url, opts...)
	}
	if err != nil {
		if p.natsServer != nil {
			p.natsServer.Shutdown()
		}
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	p.nc, p.natsURL = nc, url
	return func(context.Context) error {
		err := nc.Drain()
		for nc.IsDraining() {
			time.Sleep(10 * time.Millisecond)
		}
		if p.natsServer != nil {
			p.natsServer.Shutdown()
		}
		return err
	}, nil
}

func (p *Platform) startDatabase(ctx context.Context) (func(context.Context) error, error) {
	url := p.cfg.DatabaseURL
	if url == "" {
		srv, err := devpg.Start(ctx, devpg.Options{DataDir: p.cfg.path("postgres"), Logger: p.log})
		if err != nil {
			return nil, fmt.Errorf("development PostgreSQL: %w", err)
		}
		p.pgServer = srv
		url = srv.URL()
	}
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		if p.pgServer != nil {
			_ = p.pgServer.Stop(ctx)
		}
		return nil, err
	}
	p.pool, p.dbURL = pool, url
	return func(ctx context.Context) error {
		pool.Close()
		if p.pgServer != nil {
			if err := p.pgServer.Stop(ctx); err != nil {
				return err
			}
			p.log.Info("stopped development PostgreSQL", "dir", p.pgServer.DataDir())
		}
		return nil
	}, nil
}

func (p *Platform) migrate(ctx context.Context, schema string) error {
	sub, err := fs.Sub(migrations.FS, schema)
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", schema, err)
	}
	return pgstore.Migrate(ctx, p.pool, schema, sub)
}

func (p *Platform) startDeployments(ctx context.Context) (func(context.Context) error, error) {
	if err := p.migrate(ctx, deployments.Schema); err != nil {
		return nil, err
	}
	eng, err := engine.New(ctx, engine.Config{CacheDir: p.cfg.path("cache", "wazero"), Limits: p.cfg.Limits, Logger: p.log})
	if err != nil {
		return nil, err
	}
	svc, err := deployments.Start(ctx, p.nc, p.pool, deployments.Config{
		Logger: p.log, Metrics: p.rpcm, Registerer: p.registry, Validator: engineValidator{eng}, ArtifactReplicas: p.cfg.ArtifactReplicas,
	})
	if err != nil {
		_ = eng.Close(ctx)
		return nil, err
	}
	return func(ctx context.Context) error { return errors.Join(svc.Stop(ctx), eng.Close(ctx)) }, nil
}

func (p *Platform) startWorker(ctx context.Context) (func(context.Context) error, error) {
	svc, err := worker.Start(ctx, p.nc, worker.Config{
		Concurrency: p.cfg.WorkerConcurrency, Queue: p.cfg.WorkerQueue, MaxDecisionBytes: p.cfg.MaxDecisionBytes,
		Engine: engine.Config{
			CacheDir: p.cfg.path("cache", "wazero"), Limits: p.cfg.Limits,
			Egress: egress.Config{Allow: splitList(p.cfg.FetchAllow), AllowHTTP: p.cfg.FetchAllowHTTP},
		},
		LogReplicas: p.cfg.ArtifactReplicas, Logger: p.log, Metrics: p.rpcm, Registerer: p.registry,
	})
	if err != nil {
		return nil, err
	}
	return svc.Stop, nil
}

func (p *Platform) startKeys(ctx context.Context) (func(context.Context) error, error) {
	if err := p.migrate(ctx, keys.Schema); err != nil {
		return nil, err
	}
	key, generated, err := keys.LoadMasterKey(keys.MasterKeySource{Value: p.cfg.MasterKey, File: p.cfg.MasterKeyFile,
		DevFile: p.cfg.path("master.key"), Production: p.cfg.Mode == ModeProduction})
	if err != nil {
		return nil, err
	}
	if generated != "" {
		p.log.Warn("generated a development master key: it wraps every data key, so keep it with the database (production requires GATEHOUSE_MASTER_KEY or -master-key-file)",
			"file", generated)
	}
	svc, err := keys.Start(ctx, p.nc, p.pool, keys.Config{Logger: p.log, Metrics: p.rpcm, Registerer: p.registry, MasterKey: key})
	if err != nil {
		return nil, err
	}
	return svc.Stop, nil
}

func (p *Platform) startTokens(ctx context.Context) (func(context.Context) error, error) {
	if err := p.migrate(ctx, tokens.Schema); err != nil {
		return nil, err
	}
	svc, err := tokens.Start(ctx, p.nc, p.pool, tokens.Config{Logger: p.log, Metrics: p.rpcm, Registerer: p.registry,
		Issuer: p.cfg.Issuer, ManagementAudience: p.cfg.ManagementAudience})
	if err != nil {
		return nil, err
	}
	return svc.Stop, nil
}

func (p *Platform) startMFA(ctx context.Context) (func(context.Context) error, error) {
	if err := p.migrate(ctx, mfa.Schema); err != nil {
		return nil, err
	}
	cfg := mfa.Config{Logger: p.log, Metrics: p.rpcm, Registerer: p.registry}
	if out := p.devOutbox(); out != nil {
		// Development: every code goes to the outbox page, never out.
		cfg.Mailer, cfg.SMS = out, out
	} else {
		var err error
		if cfg.Mailer, cfg.SMS, err = p.cfg.providers(); err != nil {
			return nil, err
		}
		if cfg.Mailer == nil {
			p.log.Warn("no SMTP server is configured (-smtp-host): email factors are not available")
		}
		if cfg.SMS == nil {
			p.log.Warn("no SMS provider is configured (-sms-account-sid): SMS factors are not available")
		}
	}
	svc, err := mfa.Start(ctx, p.nc, p.pool, cfg)
	if err != nil {
		return nil, err
	}
	return svc.Stop, nil
}

func (p *Platform) startFrontdoor(ctx context.Context) (func(context.Context) error, error) {
	if err := p.migrate(ctx, frontdoor.Schema); err != nil {
		return nil, err
	}
	fcfg := frontdoor.Config{Logger: p.log, Registerer: p.registry,
		Issuer: p.cfg.Issuer, ManagementAudience: p.cfg.ManagementAudience}
	if p.cfg.SignInIPLimit > 0 {
		fcfg.IPLimit = frontdoor.Limit{Max: p.cfg.SignInIPLimit, Window: frontdoor.DefaultIPLimit.Window}
	}
	mailer, err := p.frontdoorMailer()
	if err != nil {
		return nil, err
	}
	if mailer != nil {
		fcfg.Mailer = mailer
	}
	svc, err := frontdoor.Start(ctx, p.nc, p.pool, fcfg)
	if err != nil {
		return nil, err
	}
	svc.Routes(p.router)
	p.frontdoor = svc
	return svc.Stop, nil
}

func (p *Platform) startLogs(ctx context.Context) (func(context.Context) error, error) {
	if err := p.migrate(ctx, logs.Schema); err != nil {
		return nil, err
	}
	svc, err := logs.Start(ctx, p.nc, p.pool, logs.Config{Logger: p.log, Metrics: p.rpcm, Registerer: p.registry,
		Replicas: p.cfg.ArtifactReplicas, Retention: p.cfg.LogRetention})
	if err != nil {
		return nil, err
	}
	return svc.Stop, nil
}

// startDemo seeds the development demo and mounts /demo when cfg.Demo is
// set, the mode is development and the frontdoor runs in this process. The
// demo is a convenience: a failed seed is logged and the platform runs on.
func (p *Platform) startDemo(ctx context.Context) {
	if !p.cfg.Demo || p.cfg.Mode != ModeDevelopment || p.frontdoor == nil {
		return
	}
	d, err := demo.Start(ctx, demo.Config{Logger: p.log, Identity: p.frontdoor.Identity(), NATS: p.nc,
		DataDir: p.cfg.DataDir, IssuerURL: p.cfg.IssuerURL})
	if err != nil {
		p.log.Warn("the demo is not available", "err", err)
		return
	}
	d.Routes(p.router)
	p.demo = d
}

// engineValidator validates uploads by compiling them in the engine and
// dropping the warm instance afterwards: the deployments service only checks.
type engineValidator struct{ eng *engine.Engine }

func (v engineValidator) Validate(ctx context.Context, wasm []byte) (abi.Settings, error) {
	m, err := v.eng.Compile(ctx, wasm)
	if err != nil {
		return abi.Settings{}, err
	}
	defer v.eng.Drop(m.SHA256())
	return m.Settings(), nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
