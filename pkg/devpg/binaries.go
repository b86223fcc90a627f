package devpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// ErrBinariesNotFound is returned by [Start] when initdb, pg_ctl or postgres
// cannot be found.
var ErrBinariesNotFound = errors.New("PostgreSQL binaries not found")

// binaries holds the absolute paths of the programs the cluster needs.
type binaries struct {
	dir      string
	initdb   string
	pgCtl    string
	postgres string
}

// findBinaries locates initdb, pg_ctl and postgres in binDir, or on the PATH
// when binDir is empty. All three must live in the same directory so that they
// belong to one installation.
func findBinaries(binDir string) (binaries, error) {
	var b binaries
	locate := func(name string) (string, error) {
		if binDir != "" {
			p := filepath.Join(binDir, name)
			if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				return "", fmt.Errorf("devpg: %w: %s is not an executable file; install PostgreSQL 15 (for example apt-get install postgresql-15), point the binary directory at it, or pass -database-url to use an existing server", ErrBinariesNotFound, p)
			}
			return p, nil
		}
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("devpg: %w: %s is not on the PATH; install PostgreSQL 15 (for example apt-get install postgresql-15 and add /usr/lib/postgresql/15/bin to the PATH) or pass -database-url to use an existing server", ErrBinariesNotFound, name)
		}
		return filepath.Abs(p)
	}
	var err error
	if b.initdb, err = locate("initdb"); err != nil {
		return b, err
	}
	if b.pgCtl, err = locate("pg_ctl"); err != nil {
		return b, err
	}
	if b.postgres, err = locate("postgres"); err != nil {
		return b, err
	}
	b.dir = filepath.Dir(b.postgres)
	return b, nil
}

var versionPattern = regexp.MustCompile(`\(PostgreSQL\) (\d+)(\.\d+)?`)

// version runs "postgres --version" and returns the full version (e.g.
// "15.8") and the major version (e.g. "15").
func (b binaries) version(ctx context.Context, r runner) (full, major string, err error) {
	out, err := r.output(ctx, b.postgres, "--version")
	if err != nil {
		return "", "", fmt.Errorf("devpg: run %s --version: %w", b.postgres, err)
	}
	m := versionPattern.FindStringSubmatch(string(out))
	if m == nil {
		return "", "", fmt.Errorf("devpg: cannot read the version from %s --version output %q", b.postgres, out)
	}
	return m[1] + m[2], m[1], nil
}
