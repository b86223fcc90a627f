// Reuses the id tokensBench for another trigger: a duplicate workflow id.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "tokensBench", Trigger: gatehouse.TriggerPreMFA},
		func(*gatehouse.PreMFAEvent) error { return nil })
}

func main() {}
