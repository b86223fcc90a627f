package gatehouse

import (
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Log writes an info line to the runtime log. Operands are formatted as with
// fmt.Sprint and separated by spaces, like console.log. Output beyond the
// host's per-run log limit is dropped. Never log passwords or secrets.
func Log(args ...any) { sysLog(abi.LevelInfo, sprint(args)) }

// Logf writes an info line formatted as with fmt.Sprintf.
func Logf(format string, args ...any) { sysLog(abi.LevelInfo, fmt.Sprintf(format, args...)) }

// Debug writes a debug line, formatted like Log.
func Debug(args ...any) { sysLog(abi.LevelDebug, sprint(args)) }

// Warn writes a warning line, formatted like Log.
func Warn(args ...any) { sysLog(abi.LevelWarn, sprint(args)) }

// Error writes an error line, formatted like Log.
func Error(args ...any) { sysLog(abi.LevelError, sprint(args)) }

func sprint(args []any) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	return strings.TrimSuffix(fmt.Sprintln(args...), "\n")
}
