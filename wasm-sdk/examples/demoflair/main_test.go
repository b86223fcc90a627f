//go:build !wasip1

package main

import (
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func TestGreetsInBothTokens(t *testing.T) {
	ev := `{"request":{"ip":"192.168.0.1"},"context":{"user":{"id":"kp_1"}}}`
	res, err := (&gatehouse.TestHost{}).Run(t.Context(), []byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	want := `accessToken.gatehouse_demo="hello from a workflow" idToken.gatehouse_demo_greeting="hello kp_1, from a workflow"`
	if got := res.String(); got != want {
		t.Errorf("result %s, want %s", got, want)
	}
}
