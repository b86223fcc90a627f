package devpg

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// runner runs the PostgreSQL programs, as the "postgres" system user when the
// current process is root (PostgreSQL refuses to run as root).
type runner struct {
	// cred is nil when the programs run as the current user.
	cred *syscall.Credential
	// user names who runs the programs, for messages.
	user string
}

func newRunner() (runner, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		name := strconv.Itoa(os.Geteuid())
		if err == nil {
			name = u.Username
		}
		return runner{user: name}, nil
	}
	u, err := user.Lookup(Superuser)
	if err != nil {
		return runner{}, fmt.Errorf("devpg: running as root, and PostgreSQL refuses to run as root, but there is no %q system user to run it as (%w); create one (useradd --system %s) or run as a non-root user", Superuser, err, Superuser)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return runner{}, fmt.Errorf("devpg: parse uid of user %q: %w", Superuser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return runner{}, fmt.Errorf("devpg: parse gid of user %q: %w", Superuser, err)
	}
	return runner{
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		user: Superuser,
	}, nil
}

func (r runner) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	// A fixed locale keeps messages parseable and avoids locale warnings.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
		cmd.Dir = "/"
	}
	return cmd
}

// run runs the program and returns an error carrying its combined output when
// it fails.
func (r runner) run(ctx context.Context, name string, args ...string) error {
	_, err := r.output(ctx, name, args...)
	return err
}

// output runs the program and returns its combined output.
func (r runner) output(ctx context.Context, name string, args ...string) ([]byte, error) {
	var buf bytes.Buffer
	cmd := r.command(ctx, name, args...)
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return buf.Bytes(), fmt.Errorf("%s: %w", filepath.Base(name), ctx.Err())
		}
		return buf.Bytes(), fmt.Errorf("%s %s failed: %w: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return buf.Bytes(), nil
}

// prepareDir creates dir if needed and makes it owned by the user that runs
// PostgreSQL, with mode 0700 as initdb requires.
func (r runner) prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("devpg: create data directory %s: %w", dir, err)
	}
	if r.cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("devpg: give data directory %s to user %s: %w", dir, r.user, err)
	}
	return nil
}

// checkTraversable reports an error when a parent of dir cannot be entered by
// the user that runs PostgreSQL. Only needed when running as another user.
func (r runner) checkTraversable(dir string) error {
	if r.cred == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("devpg: stat %s: %w", p, err)
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if ok {
			mode := st.Mode().Perm()
			var can bool
			switch {
			case sys.Uid == r.cred.Uid:
				can = mode&0o100 != 0
			case sys.Gid == r.cred.Gid:
				can = mode&0o010 != 0
			default:
				can = mode&0o001 != 0
			}
			if !can {
				return fmt.Errorf("devpg: directory %s (mode %#o) cannot be entered by user %s, which runs PostgreSQL; run chmod o+x %s or choose a data directory elsewhere", p, mode, r.user, p)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
