// Command initpanic registers settings the SDK refuses, so the module
// panics in its init function.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{Trigger: gatehouse.TriggerPreMFA}, func(*gatehouse.PreMFAEvent) error { return nil })
}

func main() {}
