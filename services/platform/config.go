package platform

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/worker/egress"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
)

// Modes of operation.
const (
	ModeDevelopment = "development"
	ModeProduction  = "production"
)

// Config is the configuration of `gatehouse serve`.
type Config struct {
	Targets     string // comma list of targets, or "all"
	Mode        string // development | production
	NATSURL     string // external NATS; empty with target all → embedded server
	NATSPort    int    // port of the embedded server; -1 = random
	DatabaseURL string // empty → development PostgreSQL under DataDir
	DataDir     string // embedded NATS store, dev PostgreSQL, compile cache
	HTTPAddr    string // the frontdoor, /metrics and /healthz

	WorkerConcurrency int
	WorkerQueue       int
	MaxDecisionBytes  int
	Limits            engine.Limits
	FetchAllow        string // comma list of CIDRs or host:port the fetch guard lets through
	FetchAllowHTTP    bool
	ArtifactReplicas  int // replicas of the artifact bucket and the log stream when they are created

	// MasterKey is the key-encryption key (GATEHOUSE_MASTER_KEY; never a
	// flag, so it does not land in shell history or ps output).
	MasterKey     string
	MasterKeyFile string        // a file holding the master key
	LogRetention  time.Duration // stored logs older than this are deleted
	// SignInIPLimit is how many failed sign-ins (and sign-ups) one client
	// address may make in 15 minutes; 0 means the frontdoor's default
	// (20). Behind a proxy every user shares the proxy's address.
	SignInIPLimit int
	IssuerURL     string // the OAuth issuer of the default environment
	// Demo seeds the demo application, user, organization and workflow and
	// serves /demo (development only; ignored with -env=production).
	Demo bool

	// Delivery of MFA codes outside development mode (in development they
	// go to the outbox page). SMTPPassword and SMSAuthToken are secrets:
	// they come from GATEHOUSE_SMTP_PASSWORD and GATEHOUSE_SMS_AUTH_TOKEN
	// only, never flags.
	SMTPHost      string
	SMTPPort      int
	SMTPUsername  string
	SMTPPassword  string
	SMTPFrom      string
	SMTPTLS       string
	SMSURL        string // a Twilio-style Messages API base URL
	SMSAccountSID string
	SMSAuthToken  string
	SMSFrom       string
}

// Environment variables holding delivery secrets.
const (
	EnvSMTPPassword = "GATEHOUSE_SMTP_PASSWORD"
	EnvSMSAuthToken = "GATEHOUSE_SMS_AUTH_TOKEN"
)

// DefaultConfig returns the defaults of every flag.
func DefaultConfig() Config {
	return Config{
		Targets: "all", Mode: ModeDevelopment, NATSPort: 4222, DataDir: ".gatehouse",
		HTTPAddr: "127.0.0.1:8080", Limits: engine.DefaultLimits(), ArtifactReplicas: 1,
		LogRetention: 30 * 24 * time.Hour, IssuerURL: "http://localhost:8080",
		SMTPPort: 587, SMTPTLS: delivery.SMTPTLSMandatory, SMSURL: delivery.DefaultTwilioURL,
	}
}

// RegisterFlags binds the configuration to flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Targets, "target", c.Targets, "comma list of targets to run, or all (see -list-targets)")
	fs.StringVar(&c.Mode, "env", c.Mode, "development or production")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "NATS server URL; empty with -target=all runs an embedded server")
	fs.IntVar(&c.NATSPort, "nats-port", c.NATSPort, "port of the embedded NATS server (-1: random)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL; empty starts a development PostgreSQL under -data-dir")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "working data: embedded NATS store, development PostgreSQL, compile cache")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "HTTP listen address: the frontdoor (OAuth/OIDC, hosted pages), /metrics and /healthz")
	fs.IntVar(&c.WorkerConcurrency, "worker-concurrency", c.WorkerConcurrency, "executions a worker runs at once (0: 2×CPUs)")
	fs.IntVar(&c.WorkerQueue, "worker-queue", c.WorkerQueue, "requests waiting for a worker slot before shedding (0: 64×concurrency)")
	fs.IntVar(&c.MaxDecisionBytes, "worker-max-decision-bytes", c.MaxDecisionBytes, "largest decision a worker replies with (0: 512 KiB)")
	fs.DurationVar(&c.Limits.Timeout, "wasm-timeout", c.Limits.Timeout, "execution timeout of one workflow run")
	fs.Func("wasm-memory-pages", fmt.Sprintf("memory limit of a workflow instance in 64 KiB pages (default %d)", c.Limits.MemoryPages), func(s string) error {
		var n uint32
		if _, err := fmt.Sscan(s, &n); err != nil {
			return fmt.Errorf("not a number of pages: %q", s)
		}
		c.Limits.MemoryPages = n
		return nil
	})
	fs.IntVar(&c.Limits.MaxFetchCalls, "wasm-max-fetch-calls", c.Limits.MaxFetchCalls, "fetch calls allowed per run")
	fs.StringVar(&c.FetchAllow, "fetch-allow", c.FetchAllow, "comma list of CIDRs or host:port that workflow fetch may reach despite the SSRF guard")
	fs.IntVar(&c.ArtifactReplicas, "artifact-replicas", c.ArtifactReplicas, "replicas of the workflow artifact bucket and the log stream when they are created (3 on a NATS cluster)")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, "file holding the master key that wraps the data keys (or set GATEHOUSE_MASTER_KEY; development generates one under -data-dir)")
	fs.DurationVar(&c.LogRetention, "log-retention", c.LogRetention, "how long the logs service keeps runtime, build and sync logs")
	fs.IntVar(&c.SignInIPLimit, "sign-in-ip-limit", c.SignInIPLimit, "failed sign-ins per client address in 15 minutes (0: 20)")
	fs.StringVar(&c.IssuerURL, "issuer-url", c.IssuerURL, "public base URL of Gatehouse: the token issuer of the default environment (others get <url>/e/<env>)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "development only: seed a demo application, user and workflow and serve the demo at <issuer-url>/demo")
	fs.StringVar(&c.SMTPHost, "smtp-host", c.SMTPHost, "SMTP server for email codes (production; development uses the outbox page)")
	fs.IntVar(&c.SMTPPort, "smtp-port", c.SMTPPort, "SMTP server port")
	fs.StringVar(&c.SMTPUsername, "smtp-username", c.SMTPUsername, "SMTP user name (the password comes from "+EnvSMTPPassword+")")
	fs.StringVar(&c.SMTPFrom, "smtp-from", c.SMTPFrom, "sender address of email codes")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", c.SMTPTLS, "SMTP TLS: mandatory (STARTTLS), opportunistic, implicit (port 465) or none")
	fs.StringVar(&c.SMSURL, "sms-url", c.SMSURL, "base URL of the Twilio-style SMS provider")
	fs.StringVar(&c.SMSAccountSID, "sms-account-sid", c.SMSAccountSID, "SMS provider account sid (the auth token comes from "+EnvSMSAuthToken+")")
	fs.StringVar(&c.SMSFrom, "sms-from", c.SMSFrom, "sending number (E.164) or messaging service sid of SMS codes")
	fs.BoolVar(&c.FetchAllowHTTP, "fetch-allow-http", c.FetchAllowHTTP, "let workflow fetch use plain http (development only)")
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Mode != ModeDevelopment && c.Mode != ModeProduction {
		errs = append(errs, fmt.Errorf("-env must be development or production, not %q", c.Mode))
	}
	all := false
	for _, t := range strings.Split(c.Targets, ",") {
		all = all || strings.TrimSpace(t) == "all"
	}
	if _, err := Targets().Resolve(c.Targets); err != nil {
		errs = append(errs, fmt.Errorf("-target: %w", err))
	}
	eg := egress.DefaultConfig()
	eg.Allow, eg.AllowHTTP = splitList(c.FetchAllow), c.FetchAllowHTTP
	if err := eg.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("-fetch-allow: %w", err))
	}
	if c.ArtifactReplicas < 1 || c.ArtifactReplicas > 5 {
		errs = append(errs, fmt.Errorf("-artifact-replicas must be 1 to 5 (got %d)", c.ArtifactReplicas))
	}
	if c.NATSURL == "" && !all {
		errs = append(errs, errors.New("-nats-url is required unless -target=all (only the all-in-one process embeds NATS)"))
	}
	if c.Mode == ModeProduction && c.DatabaseURL == "" && c.needsDatabase() {
		errs = append(errs, errors.New("-database-url is required with -env=production (the development PostgreSQL is for development only)"))
	}
	if c.Mode == ModeProduction && c.MasterKey == "" && c.MasterKeyFile == "" && c.runs("keys") {
		errs = append(errs, errors.New("a master key is required with -env=production: set GATEHOUSE_MASTER_KEY or -master-key-file"))
	}
	if u, err := url.Parse(c.IssuerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
		errs = append(errs, fmt.Errorf("-issuer-url %q must be an absolute http(s) URL without a query, fragment or trailing slash", c.IssuerURL))
	} else if c.Mode == ModeProduction && u.Scheme != "https" && (c.runs("tokens") || c.runs("frontdoor")) {
		errs = append(errs, fmt.Errorf("-issuer-url must be https with -env=production (got %q)", c.IssuerURL))
	}
	if c.SignInIPLimit < 0 {
		errs = append(errs, fmt.Errorf("-sign-in-ip-limit cannot be negative (got %d)", c.SignInIPLimit))
	}
	if c.LogRetention < time.Hour {
		errs = append(errs, fmt.Errorf("-log-retention must be at least 1h (got %s)", c.LogRetention))
	}
	if c.Mode == ModeProduction && c.FetchAllowHTTP {
		errs = append(errs, errors.New("-fetch-allow-http is not allowed with -env=production"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("-data-dir is required"))
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("-http-addr %q: %w", c.HTTPAddr, err))
	}
	if c.NATSPort < -1 || c.NATSPort > 65535 {
		errs = append(errs, fmt.Errorf("-nats-port %d is out of range", c.NATSPort))
	}
	if c.WorkerConcurrency < 0 || c.WorkerQueue < 0 {
		errs = append(errs, errors.New("-worker-concurrency and -worker-queue must not be negative"))
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Mode == ModeProduction && c.runs("mfa") {
		if _, _, err := c.providers(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// providers returns the SMTP mailer and the SMS sender configured by the
// flags (nil when not configured), reading their secrets from the
// environment when the Config does not carry them.
func (c Config) providers() (delivery.Mailer, delivery.SMSSender, error) {
	var mailer delivery.Mailer
	var sms delivery.SMSSender
	var errs []error
	if c.SMTPHost != "" {
		password := c.SMTPPassword
		if password == "" {
			password = os.Getenv(EnvSMTPPassword)
		}
		m, err := delivery.NewSMTPMailer(delivery.SMTPConfig{Host: c.SMTPHost, Port: c.SMTPPort, Username: c.SMTPUsername,
			Password: password, From: c.SMTPFrom, TLS: c.SMTPTLS})
		if err != nil {
			errs = append(errs, fmt.Errorf("-smtp-*: %w", err))
		} else {
			mailer = m
		}
	}
	if c.SMSAccountSID != "" {
		token := c.SMSAuthToken
		if token == "" {
			token = os.Getenv(EnvSMSAuthToken)
		}
		s, err := delivery.NewTwilioSender(delivery.TwilioConfig{BaseURL: c.SMSURL, AccountSID: c.SMSAccountSID,
			AuthToken: token, From: c.SMSFrom})
		if err != nil {
			errs = append(errs, fmt.Errorf("-sms-* (auth token from %s): %w", EnvSMSAuthToken, err))
		} else {
			sms = s
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return mailer, sms, nil
}

func (c Config) path(elem ...string) string {
	return filepath.Join(append([]string{c.DataDir}, elem...)...)
}

// shutdownTimeout bounds a graceful stop.
const shutdownTimeout = 20 * time.Second

// needsDatabase reports whether a selected target uses PostgreSQL (workers
// do not, so they need no database credentials).
func (c Config) needsDatabase() bool { return c.runs("database") }

// runs reports whether module name is started for the selected targets
// (true when the selection is invalid: Validate reports that separately).
func (c Config) runs(name string) bool {
	order, err := Targets().Resolve(c.Targets)
	if err != nil {
		return true
	}
	for _, n := range order {
		if n == name {
			return true
		}
	}
	return false
}

// Issuer returns the token issuer of environment env.
func (c Config) Issuer(env string) string {
	if env == envname.Default {
		return c.IssuerURL
	}
	return c.IssuerURL + "/e/" + env
}

// ManagementAudience returns the audience of the management API in
// environment env: client credentials tokens for it are never changed by
// workflows (DESIGN §3).
func (c Config) ManagementAudience(env string) string { return c.Issuer(env) + "/api" }
