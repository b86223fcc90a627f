//go:build !wasip1

package main

import (
	"fmt"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func event(plan string) []byte {
	return fmt.Appendf(nil, `{"request":{"userAgent":"Mozilla/5.0","ip":"192.168.0.1"},"context":{"billing":{"currentPlanCode":%q,"agreementId":"agreement_01971a7c"},"workflow":{"trigger":"user:plan_cancellation_request"}}}`, plan)
}

func TestDenyCancellation(t *testing.T) {
	res, err := (&gatehouse.TestHost{}).Run(t.Context(), event("pro_annual"))
	if err != nil {
		t.Fatal(err)
	}
	if res.PlanDenied == nil || res.PlanDenied.Reason != DenyReason {
		t.Fatalf("result %s", res)
	}
	res, err = (&gatehouse.TestHost{}).Run(t.Context(), event("pro"))
	if err != nil || res.PlanDenied != nil {
		t.Fatalf("monthly plan: %v, %v; want allowed", res, err)
	}
}
