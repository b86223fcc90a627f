//go:build !wasip1

package main

import (
	"fmt"
	"slices"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func event(from, to string) []byte {
	return fmt.Appendf(nil, `{"request":{"userAgent":"Mozilla/5.0","ip":"192.168.0.1"},"context":{"billing":{"currentPlanCode":%q,"requestedPlanCode":%q},"user":{"id":"kp_1234566"},"organization":{"code":"org_123456"},"workflow":{"trigger":"user:plan_selection"}}}`, from, to)
}

func TestDenyPlanChange(t *testing.T) {
	res, err := (&gatehouse.TestHost{}).Run(t.Context(), event("professional", "free"))
	if err != nil {
		t.Fatal(err)
	}
	if res.PlanDenied == nil || res.PlanDenied.Reason != DenyReason || !slices.Equal(res.PlanDenied.Suggestions, Suggestions) {
		t.Fatalf("result %s", res)
	}
	for _, ok := range [][2]string{{"free", "professional"}, {"professional", "enterprise"}, {"free", "free"}} {
		res, err := (&gatehouse.TestHost{}).Run(t.Context(), event(ok[0], ok[1]))
		if err != nil || res.PlanDenied != nil {
			t.Errorf("%s → %s: %v, %v; want allowed", ok[0], ok[1], res, err)
		}
	}
}
