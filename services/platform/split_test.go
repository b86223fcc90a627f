package platform

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// startTarget runs one target against a shared NATS server, as one process of
// a split deployment would.
func startTarget(t *testing.T, target, natsURL, dbURL string) *Platform {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Targets, cfg.NATSURL, cfg.DatabaseURL = target, natsURL, dbURL
	cfg.HTTPAddr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	p, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start %s: %v", target, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p
}

// TestSplitDeploymentScalesWorkersHorizontally runs the deployments service
// and two workers as separate targets on one NATS server: an upload goes
// live on both workers, both serve triggers from the queue group, and the
// flow survives losing one of them.
func TestSplitDeploymentScalesWorkersHorizontally(t *testing.T) {
	wasm := wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench")
	srv := natstest.Start(t)
	db := pgtest.NewDatabase(t)
	deps := startTarget(t, "deployments", srv.ClientURL(), db)
	w1 := startTarget(t, "worker", srv.ClientURL(), "")
	w2 := startTarget(t, "worker", srv.ClientURL(), "")
	if w1.DatabaseURL() != "" || w2.DatabaseURL() != "" {
		t.Fatalf("a worker connected to PostgreSQL")
	}
	upload(t, deps, wasm)

	client, err := wapi.NewClient(natstest.Connect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	fire := func() wapi.Decision {
		d, err := client.Fire(context.Background(), env, abi.TriggerTokensGeneration, tokensEvent, "")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	served := map[string]bool{}
	for i := 0; i < 500 && !(served["w1"] && served["w2"]); i++ {
		d := fire()
		if !d.Ran || d.Error != nil || string(d.AccessTokenClaims["org"]) != `"org_1"` {
			t.Fatalf("decision %+v", d)
		}
		// Each worker process counts what it served; read both.
		served["w1"] = served["w1"] || metricAbove(t, w1, `gatehouse_trigger_executions_total{outcome="ok",trigger="user:tokens_generation"}`)
		served["w2"] = served["w2"] || metricAbove(t, w2, `gatehouse_trigger_executions_total{outcome="ok",trigger="user:tokens_generation"}`)
	}
	if !served["w1"] || !served["w2"] {
		t.Fatalf("the queue group did not spread triggers over both workers: %v", served)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if d := fire(); !d.Ran || d.Error != nil {
			t.Fatalf("after one worker stopped: %+v", d)
		}
	}
}

func metricAbove(t *testing.T, p *Platform, series string) bool {
	t.Helper()
	body := get(t, "http://"+p.HTTPAddr()+"/metrics")
	for _, line := range splitLines(body) {
		if len(line) > len(series) && line[:len(series)] == series && line[len(series):] != " 0" {
			return true
		}
	}
	return false
}
