// Spends 300 ms of CPU on every token request, to fill a worker.
package main

import (
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "slowTokens", Trigger: gatehouse.TriggerTokensGeneration},
		func(*gatehouse.TokensGenerationEvent) error {
			start := time.Now()
			n := 0
			for time.Since(start) < 300*time.Millisecond {
				n++
			}
			gatehouse.Log("spun", n)
			return nil
		})
}

func main() {}
