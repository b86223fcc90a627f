package gatehouse

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// The wasmimport / wasmexport directives cannot use constants, so this test
// checks the names written in the wasip1 files against package abi.
func TestGuestDirectivesMatchABI(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	imports := regexp.MustCompile(`(?m)^//go:wasmimport (\S+) (\S+)$`).FindAllStringSubmatch(read("guest_imports_wasip1.go"), -1)
	var got []string
	for _, m := range imports {
		if m[1] != abi.HostModule {
			t.Errorf("import %s from module %q, want %q", m[2], m[1], abi.HostModule)
		}
		got = append(got, m[2])
	}
	want := []string{
		abi.FnResultLen, abi.FnResultRead, abi.FnError, abi.FnLog, abi.FnDenyAccess,
		abi.FnSetClaim, abi.FnSetEnforcementPolicy, abi.FnMFAFactors, abi.FnInvalidateFormField,
		abi.FnDenyPlanSelection, abi.FnDenyPlanCancellation, abi.FnFetch, abi.FnSecureFetch, abi.FnGetEnv,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wasmimport names\n got %v\nwant %v", got, want)
	}

	exports := regexp.MustCompile(`(?m)^//go:wasmexport (\S+)$`).FindAllStringSubmatch(read("guest_exports_wasip1.go"), -1)
	got = got[:0]
	for _, m := range exports {
		got = append(got, m[1])
	}
	want = []string{abi.ExportABIVersion, abi.ExportSettings, abi.ExportAlloc, abi.ExportHandle}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wasmexport names\n got %v\nwant %v", got, want)
	}
}
