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
// org, so its digest differs from every earlier build. The module is its
// own Go module next to dir, using the SDK in repoRoot.
func buildVariant(ctx context.Context, repoRoot, dir, org string) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(repoRoot, tokensbenchDir, "main.go"))
	if err != nil {
		return nil, fmt.Errorf("read the tokensbench source: %w", err)
	}
	if !strings.Contains(string(src), orgExpr) {
		return nil, fmt.Errorf("the tokensbench source no longer sets the org claim from %s", orgExpr)
	}
	variant := strings.Replace(string(src), orgExpr, fmt.Sprintf("%q", org), 1)
	sdk, err := filepath.Abs(filepath.Join(repoRoot, "wasm-sdk", "go"))
	if err != nil {
		return nil, fmt.Errorf("locate the SDK: %w", err)
	}
	gomod := "module benchvariant\n\ngo 1.24\n\nrequire github.com/gatehouse-id/gatehouse/wasm-sdk/go v0.0.0\n\n" +
		"replace github.com/gatehouse-id/gatehouse/wasm-sdk/go => " + sdk + "\n"
	src2 := filepath.Join(dir, "variant")
	if err := os.MkdirAll(src2, 0o755); err != nil {
		return nil, fmt.Errorf("variant source dir: %w", err)
	}
	for name, text := range map[string]string{"go.mod": gomod, "main.go": variant} {
		if err := os.WriteFile(filepath.Join(src2, name), []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("write the variant %s: %w", name, err)
		}
	}
	return buildModule(ctx, src2, filepath.Join(dir, "variant.wasm"))
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
