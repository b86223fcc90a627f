package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/config"
	"github.com/gatehouse-id/gatehouse/pkg/devpg"
	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

const adminUsage = `Usage: gatehouse admin create-client -name NAME [-env ENV] [-scopes S,S…] [flags]

create-client registers a machine-to-machine application allowed to call
the management API of an environment (audience <issuer of ENV>/api) and
prints its client id and secret. The secret is shown this once. It reaches
the database directly, so it works before any management client exists.
Scopes default to every management scope:
  ` + "%s" + `
`

func adminCmd(args []string, stdout, stderr io.Writer) int {
	usage := fmt.Sprintf(adminUsage, strings.Join(mgmt.AllScopes(), " "))
	if len(args) == 0 || args[0] != "create-client" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprint(stderr, usage)
		return 2
	}
	def := platform.DefaultConfig()
	fs := flag.NewFlagSet("gatehouse admin create-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := fs.String("env", envname.Default, "environment of the client")
	name := fs.String("name", "", "name of the application (required)")
	scopes := fs.String("scopes", "", "comma-separated management scopes (default: all)")
	issuer := fs.String("issuer-url", def.IssuerURL, "public base URL of Gatehouse, as gatehouse serve -issuer-url: it makes the API's audience")
	dbURL := fs.String("database-url", "", "PostgreSQL URL; empty uses the development PostgreSQL under -data-dir")
	dataDir := fs.String("data-dir", def.DataDir, "data directory of the development install")
	if err := config.Parse(fs, args[1:], nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "gatehouse admin create-client: %v\n", err)
		return 2
	}
	var bad []string
	if strings.TrimSpace(*name) == "" {
		bad = append(bad, "-name is required")
	}
	if err := envname.Validate(*env); err != nil {
		bad = append(bad, "-env: "+err.Error())
	}
	var list []string
	for _, s := range strings.Split(*scopes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !mgmt.KnownScope(s) {
			bad = append(bad, fmt.Sprintf("-scopes: unknown scope %q", s))
		}
		list = append(list, s)
	}
	if len(bad) > 0 {
		fmt.Fprintf(stderr, "gatehouse admin create-client: %s\n\n%s", strings.Join(bad, "; "), usage)
		return 2
	}
	cfg := def
	cfg.IssuerURL = strings.TrimSuffix(*issuer, "/")
	if err := createClient(clientRequest{dbURL: *dbURL, dataDir: *dataDir, env: *env, name: *name,
		audience: cfg.ManagementAudience(*env), scopes: list}, stdout); err != nil {
		fmt.Fprintf(stderr, "gatehouse admin create-client: %v\n", err)
		return 1
	}
	return 0
}

type clientRequest struct {
	dbURL, dataDir      string
	env, name, audience string
	scopes              []string
}

func createClient(r clientRequest, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := r.dbURL
	if url == "" {
		srv, err := devpg.Start(ctx, devpg.Options{DataDir: filepath.Join(r.dataDir, "postgres"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return fmt.Errorf("development PostgreSQL (is gatehouse serve still running? stop it, or give -database-url): %w", err)
		}
		defer func() { _ = srv.Stop(context.WithoutCancel(ctx)) }()
		url = srv.URL()
	}
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	ids, err := identity.NewStore(pool, identity.Config{})
	if err != nil {
		return err
	}
	if r.env == envname.Default {
		if _, err := ids.EnsureDefaultEnvironment(ctx); err != nil {
			return fmt.Errorf("%w (has gatehouse serve run against this database?)", err)
		}
	}
	app, secret, err := mgmt.CreateClient(ctx, ids, r.env, r.name, r.audience, r.scopes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created management client %q in environment %s\n\n", app.Name, app.Env)
	fmt.Fprintf(out, "client id:     %s\nclient secret: %s\naudience:      %s\nscopes:        %s\n\n",
		app.ClientID, secret, r.audience, strings.Join(app.Scopes, " "))
	fmt.Fprintln(out, "The client secret is shown this once: store it now (a secret manager, $GATEHOUSE_CLIENT_SECRET).")
	return nil
}
