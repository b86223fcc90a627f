package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/config"
	"github.com/gatehouse-id/gatehouse/services/demo"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

func serve(args []string) int {
	cfg := platform.DefaultConfig()
	cfg.Demo = true // development only: the platform ignores it with -env=production
	fs := flag.NewFlagSet("gatehouse serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	listTargets := fs.Bool("list-targets", false, "list the targets and exit")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := config.Parse(fs, args, nil); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintf(os.Stderr, "gatehouse serve: %v\n", err)
		return 2
	}
	// The master key comes from the environment only: a flag would put it in
	// shell history and in the process list.
	cfg.MasterKey = os.Getenv("GATEHOUSE_MASTER_KEY")
	if *listTargets {
		fmt.Println("all\tevery target below, in one process (embeds NATS when -nats-url is empty)")
		for _, t := range platform.Targets().Targets() {
			fmt.Printf("%s\t%s\n", t.Name, t.Help)
		}
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "gatehouse serve: -log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := platform.Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gatehouse serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "\nGatehouse is up.\n  metrics:  http://%s/metrics\n  NATS:     %s\n  database: %s\n"+
		"Write a workflow (README, five-minute walkthrough):\n  ./bin/gatehouse wf init my-workflow --trigger user:tokens_generation\n",
		p.HTTPAddr(), p.NATSURL(), redact(p.DatabaseURL()))
	if d := p.Demo(); d != nil {
		// A throw-away user of the development demo: its password is
		// printed on purpose so the demo can be tried at once.
		issuer := strings.TrimSuffix(d.URL(), demo.Path)
		fmt.Fprintf(os.Stderr, "Try the demo: open %s and sign in as the demo user\n  email:    %s\n  password: %s\n"+
			"  (development demo credentials, kept in %s)\n"+
			"  The first sign-in sets up a second factor: an authenticator app, or email codes (read them in the\n"+
			"  development outbox at %s/dev/outbox). The demo's pre-MFA workflow skips MFA within 24 hours of the last one.\n",
			d.URL(), d.Email(), d.Password(), d.StateFile(), issuer)
		id, secret := d.CLIClient()
		fmt.Fprintf(os.Stderr, "Manage it over the management API (%s/api/v1, docs/api/openapi.yaml), or with the CLI:\n"+
			"  export GATEHOUSE_URL=%s GATEHOUSE_CLIENT_ID=%s GATEHOUSE_CLIENT_SECRET=%s\n"+
			"  ./bin/gatehouse wf list\n", issuer, issuer, id, secret)
	}
	fmt.Fprint(os.Stderr, "Press Ctrl-C to stop.\n\n")
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Stop(sctx); err != nil {
		fmt.Fprintf(os.Stderr, "gatehouse serve: stop: %v\n", err)
		return 1
	}
	return 0
}
