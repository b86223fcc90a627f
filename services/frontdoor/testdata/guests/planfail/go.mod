module guest

go 1.24

require github.com/gatehouse-id/gatehouse/wasm-sdk/go v0.0.0

replace github.com/gatehouse-id/gatehouse/wasm-sdk/go => ../../../../../wasm-sdk/go
