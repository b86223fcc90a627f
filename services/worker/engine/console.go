package engine

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Stream indexes of console.partial.
const (
	streamStdout = 0
	streamStderr = 1
)

// stderrHeadBytes is how much of stderr is kept, outside the log budget, to
// explain a crash ("panic: …", "fatal error: out of memory").
const stderrHeadBytes = 1024

// console captures one execution's console output: lines logged through the
// log host function and the guest's stdout (info) and stderr (error), split
// into lines. At most max bytes of text are kept; the rest is dropped and a
// truncation line is added by finish.
type console struct {
	max        int
	used       int
	truncated  bool
	lines      []api.ConsoleLine
	partial    [2][]byte
	stderrHead []byte
}

func (c *console) reset(max int) {
	c.max = max
	c.used = 0
	c.truncated = false
	c.lines = nil
	for s := range c.partial {
		c.partial[s] = c.partial[s][:0]
		if cap(c.partial[s]) > maxKeptBuffer {
			c.partial[s] = nil
		}
	}
	c.stderrHead = c.stderrHead[:0]
}

// take reserves up to n bytes of the budget and returns how many fit.
func (c *console) take(n int) int {
	room := c.max - c.used
	if n <= room {
		c.used += n
		return n
	}
	c.truncated = true
	if room < 0 {
		room = 0
	}
	c.used = c.max
	return room
}

// log appends a line from the log host function. It reports false when the
// line did not fit entirely.
func (c *console) log(level int32, text []byte) bool {
	k := c.take(len(text))
	if k > 0 {
		c.lines = append(c.lines, api.ConsoleLine{Level: levelName(level), Text: guestText(text[:k])})
	}
	return k == len(text)
}

// write receives guest stdout or stderr bytes.
func (c *console) write(stream int, p []byte) {
	if stream == streamStderr && len(c.stderrHead) < stderrHeadBytes {
		c.stderrHead = append(c.stderrHead, p[:min(len(p), stderrHeadBytes-len(c.stderrHead))]...)
	}
	k := c.take(len(p))
	p = p[:k]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial[stream] = append(c.partial[stream], p...)
			return
		}
		line := p[:i]
		if len(c.partial[stream]) > 0 {
			line = append(c.partial[stream], line...)
			c.partial[stream] = line[:0]
		}
		c.lines = append(c.lines, api.ConsoleLine{Level: streamLevel(stream), Text: guestText(line)})
		p = p[i+1:]
	}
}

// finish flushes partial lines, adds the truncation notice and returns the
// lines, which the caller then owns.
func (c *console) finish() []api.ConsoleLine {
	for s := range c.partial {
		if len(c.partial[s]) > 0 {
			c.lines = append(c.lines, api.ConsoleLine{Level: streamLevel(s), Text: guestText(c.partial[s])})
			c.partial[s] = c.partial[s][:0]
		}
	}
	if c.truncated {
		c.lines = append(c.lines, api.ConsoleLine{
			Level: "warn",
			Text:  fmt.Sprintf("console output truncated: the workflow wrote more than the %d-byte limit", c.max),
		})
	}
	lines := c.lines
	c.lines = nil
	return lines
}

// warn adds a host-generated warning line. It counts against the budget
// like the workflow's own output; a warning that does not fit is dropped.
func (c *console) warn(text string) {
	if c.take(len(text)) < len(text) {
		return
	}
	c.lines = append(c.lines, api.ConsoleLine{Level: "warn", Text: text})
}

// crashLine returns the first line of stderr that explains a crash, if any.
func (c *console) crashLine() string {
	for _, line := range bytes.Split(c.stderrHead, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if bytes.HasPrefix(line, []byte("panic:")) || bytes.HasPrefix(line, []byte("fatal error:")) ||
			bytes.HasPrefix(line, []byte("runtime:")) {
			return guestText(line)
		}
	}
	return ""
}

// outOfMemory reports whether stderr says the guest ran out of memory.
func (c *console) outOfMemory() bool {
	return bytes.Contains(c.stderrHead, []byte("out of memory"))
}

func levelName(level int32) string {
	switch level {
	case abi.LevelDebug:
		return "debug"
	case abi.LevelWarn:
		return "warn"
	case abi.LevelError:
		return "error"
	default:
		return "info"
	}
}

func streamLevel(stream int) string {
	if stream == streamStderr {
		return "error"
	}
	return "info"
}

// guestText converts guest bytes to a string, replacing invalid UTF-8 (for
// instance a sequence cut by the log limit).
func guestText(b []byte) string {
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
