//go:build !wasip1

package main

import (
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func TestSetsTwoClaims(t *testing.T) {
	ev := `{"request":{"ip":"192.168.0.1"},"context":{"user":{"id":"kp_1"},"organization":{"code":"org_1"}}}`
	res, err := (&gatehouse.TestHost{}).Run(t.Context(), []byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.String(); got != `accessToken.ip="192.168.0.1" accessToken.org="org_1"` {
		t.Errorf("result %s", got)
	}
}
