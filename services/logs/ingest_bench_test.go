package logs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// BenchmarkIngest measures end-to-end ingestion: records published through
// api.Publisher until the service has stored them all, in records/s.
func BenchmarkIngest(b *testing.B) {
	h := newHarness(b)
	h.start(logs.Config{})
	p, err := api.NewPublisher(h.nc, api.PublisherConfig{Source: "bench", Buffer: 1 << 20, Logger: h.log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closePublisher(b, p) })
	recs := make([]api.Record, b.N)
	run := time.Now().UnixNano()
	for i := range recs {
		recs[i] = runtimeRecord(fmt.Sprintf("exe_%d_%09d", run, i), "production", time.Now())
	}
	before := counter(b, h.reg, "gatehouse_logs_ingested_total")
	b.ResetTimer()
	for _, r := range recs {
		for !p.Publish(r) {
			time.Sleep(time.Millisecond)
		}
	}
	deadline := time.Now().Add(5*time.Minute + time.Duration(b.N)*time.Millisecond)
	for counter(b, h.reg, "gatehouse_logs_ingested_total")-before < float64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("stored %v of %d records", counter(b, h.reg, "gatehouse_logs_ingested_total")-before, b.N)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stored int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM logs.records`).Scan(&stored); err != nil || stored != b.N {
		b.Fatalf("%d rows stored for %d records: %v", stored, b.N, err)
	}
}
