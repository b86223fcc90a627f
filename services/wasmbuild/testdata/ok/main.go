package main

//go:wasmexport gatehouse_abi_version
func abiVersion() int32 { return 1 }

func main() {}
