package bench

import (
	"syscall"
	"time"
)

// processCPU returns the user plus system CPU time the process has used so
// far; zero when the system does not tell. The whole stack runs in this
// process, so a difference of two readings divided by the operations in
// between is their full CPU cost, whatever else the machine is doing.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
