package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

// buildTokensbench builds the tokensbench example into dir.
func buildTokensbench(ctx context.Context, repoRoot, dir string) ([]byte, error) {
	return buildModule(ctx, filepath.Join(repoRoot, tokensbenchDir), filepath.Join(dir, "tokensbench.wasm"))
}

// orgExpr is what the variant replaces in the tokensbench source.
const orgExpr = "e.Context.Organization.Code"

// buildVariant builds tokensbench with the "org" claim set to the constant
// org, so its digest differs from every earlier build.
func buildVariant(ctx context.Context, repoRoot, dir, org string) ([]byte, error) {
	return buildPatched(ctx, repoRoot, dir, tokensbenchDir, "variant", orgExpr, fmt.Sprintf("%q", org))
}

// buildPatched builds the example in exampleDir (relative to repoRoot)
// with the first occurrence of old in its main.go replaced by new. The
// patched module is its own Go module in dir/name, using the SDK in
// repoRoot; the module is written to dir/name.wasm.
func buildPatched(ctx context.Context, repoRoot, dir, exampleDir, name, old, new string) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(repoRoot, exampleDir, "main.go"))
	if err != nil {
		return nil, fmt.Errorf("read the %s source: %w", exampleDir, err)
	}
	if !strings.Contains(string(src), old) {
		return nil, fmt.Errorf("the %s source no longer contains %s", exampleDir, old)
	}
	patched := strings.Replace(string(src), old, new, 1)
	sdk, err := filepath.Abs(filepath.Join(repoRoot, "wasm-sdk", "go"))
	if err != nil {
		return nil, fmt.Errorf("locate the SDK: %w", err)
	}
	gomod := "module bench" + name + "\n\ngo 1.24\n\nrequire github.com/gatehouse-id/gatehouse/wasm-sdk/go v0.0.0\n\n" +
		"replace github.com/gatehouse-id/gatehouse/wasm-sdk/go => " + sdk + "\n"
	srcDir := filepath.Join(dir, name)
	if err := os.MkdirAll(srcDir, 0o755); err != nil {
		return nil, fmt.Errorf("%s source dir: %w", name, err)
	}
	for file, text := range map[string]string{"go.mod": gomod, "main.go": patched} {
		if err := os.WriteFile(filepath.Join(srcDir, file), []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("write the %s %s: %w", name, file, err)
		}
	}
	return buildModule(ctx, srcDir, filepath.Join(dir, name+".wasm"))
}

func buildModule(ctx context.Context, src, out string) ([]byte, error) {
	bctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := wasmbuild.Build(bctx, src, out, nil); err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("read the built module: %w", err)
	}
	return wasm, nil
}
