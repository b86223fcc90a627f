package wfcli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// envKey is what a variable name may look like in a dotenv file.
var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// parseDotenv reads KEY=value lines. Blank lines and lines starting with '#'
// are skipped; an "export " prefix is allowed; a value may be wrapped in
// double quotes (with \n, \t, \" and \\ escapes) or single quotes (taken
// literally); an unquoted value ends at " #" (a trailing comment). Errors
// name the file and line but never quote the value, which may be a secret.
func parseDotenv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("environment file: %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, raw, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected KEY=value", path, n)
		}
		if !envKey.MatchString(key) {
			return nil, fmt.Errorf("%s:%d: %q is not a variable name (letters, digits and _, not starting with a digit)", path, n, key)
		}
		val, err := dotenvValue(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: value of %s: %w", path, n, key, err)
		}
		vars[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return vars, nil
}

func dotenvValue(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	switch q := raw[0]; q {
	case '"', '\'':
		end := closingQuote(raw, q)
		if end < 0 {
			return "", fmt.Errorf("missing closing %c", q)
		}
		if rest := strings.TrimSpace(raw[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", fmt.Errorf("unexpected text after the closing %c", q)
		}
		body := raw[1:end]
		if q == '\'' {
			return body, nil
		}
		return strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\"`, `"`, `\\`, `\`).Replace(body), nil
	}
	if i := strings.Index(raw, " #"); i >= 0 {
		raw = raw[:i]
	}
	return strings.TrimSpace(raw), nil
}

// closingQuote returns the index of the quote closing raw[0], skipping
// backslash escapes inside double quotes, or -1.
func closingQuote(raw string, q byte) int {
	for i := 1; i < len(raw); i++ {
		switch {
		case q == '"' && raw[i] == '\\':
			i++
		case raw[i] == q:
			return i
		}
	}
	return -1
}

// envVars serves GetEnvironmentVariable from dotenv files during a local
// test run. It implements engine.EnvSource.
type envVars map[string]abi.EnvValue

// Lookup returns the variable key; the environment name is ignored.
func (v envVars) Lookup(_ context.Context, _ string, key string) (abi.EnvValue, bool, error) {
	val, ok := v[key]
	return val, ok, nil
}

// loadEnvVars reads the plain and the secret dotenv files (either may be
// empty). A key in both is an error: it would be ambiguous whether it is
// secret.
func loadEnvVars(plainPath, secretPath string) (envVars, error) {
	vars := envVars{}
	for _, src := range []struct {
		path   string
		secret bool
	}{{plainPath, false}, {secretPath, true}} {
		if src.path == "" {
			continue
		}
		m, err := parseDotenv(src.path)
		if err != nil {
			return nil, err
		}
		for k, val := range m {
			if _, dup := vars[k]; dup {
				return nil, fmt.Errorf("variable %s is in both %s and %s: keep it in one file", k, plainPath, secretPath)
			}
			vars[k] = abi.EnvValue{Value: val, IsSecret: src.secret}
		}
	}
	return vars, nil
}
