package wfcli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// sdkModule is the module path of the Go workflow SDK.
const sdkModule = "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

// envSDK names the environment variable that points at the SDK.
const envSDK = "GATEHOUSE_SDK"

// findSDK returns the absolute directory of the Go SDK: flagPath when set,
// else $GATEHOUSE_SDK, else the first wasm-sdk/go found by walking up from
// the working directory and then from the executable's directory.
func findSDK(flagPath string) (string, error) {
	if flagPath != "" {
		return checkSDK(flagPath, "--sdk")
	}
	if p := os.Getenv(envSDK); p != "" {
		return checkSDK(p, "$"+envSDK)
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for dir := start; ; dir = filepath.Dir(dir) {
			cand := filepath.Join(dir, "wasm-sdk", "go")
			if isSDK(cand) {
				return cand, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("cannot find the Go workflow SDK (a wasm-sdk/go directory holding module %s) above the current directory or the gatehouse executable: pass --sdk PATH or set %s", sdkModule, envSDK)
}

// checkSDK resolves p and checks that it holds the SDK's go.mod.
func checkSDK(p, from string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("SDK path %s from %s: %w", p, from, err)
	}
	if !isSDK(abs) {
		return "", fmt.Errorf("SDK path %s (from %s) is not the Go workflow SDK: it has no go.mod declaring module %s", abs, from, sdkModule)
	}
	return abs, nil
}

func isSDK(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && bytes.Contains(b, []byte("module "+sdkModule+"\n"))
}
