package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// watchdogScript waits for the test binary ($1) to exit, then shuts down the
// cluster in $2/data (SIGQUIT: immediate shutdown) and removes $2. After a
// normal exit the cluster is already gone and the script does nothing.
const watchdogScript = `[ -n "$2" ] || exit 0
while kill -0 "$1" 2>/dev/null; do sleep 1; done
pid=$(head -n 1 "$2/data/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
fi
rm -rf "$2"
`

// startWatchdog starts a detached shell that cleans up the cluster in base if
// the test binary dies without doing so (a panicking test, a timeout,
// kill -9). It has no standard streams, so "go test" does not wait for it.
func startWatchdog(base string) error {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "pgtest-watchdog", strconv.Itoa(os.Getpid()), base)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start cluster watchdog: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
