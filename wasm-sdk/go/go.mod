module github.com/gatehouse-id/gatehouse/wasm-sdk/go

go 1.24
