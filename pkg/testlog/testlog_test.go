package testlog

import (
	"log/slog"
	"testing"
)

type recorder struct {
	testing.TB
	lines []string
}

func (r *recorder) Log(args ...any)  { r.lines = append(r.lines, args[0].(string)) }
func (r *recorder) Cleanup(f func()) { r.TB.Cleanup(f) }

func TestNewLogsAtLevelUntilCleanup(t *testing.T) {
	r := &recorder{TB: t}
	w := &writer{t: r}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	log.Info("dropped: below the level")
	log.Warn("kept")
	w.close()
	log.Warn("dropped: after cleanup")
	if len(r.lines) != 1 || r.lines[0] == "" {
		t.Fatalf("lines %q", r.lines)
	}
}
