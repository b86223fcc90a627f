package wfcli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// readEvent reads the event JSON from path ("-" is standard input) and
// checks that it is a JSON object, reporting syntax errors by line and
// column.
func (c *cli) readEvent(path string) ([]byte, error) {
	if path == "" {
		return nil, usagef("--event is required: a JSON file with the trigger's event (gatehouse wf init writes a sample, event.json)")
	}
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(c.stdin, 16<<20))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(b, se.Offset)
			return nil, fmt.Errorf("event %s is not valid JSON: line %d, column %d: %w", path, line, col, err)
		}
		return nil, fmt.Errorf("event %s is not valid JSON: %w", path, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf(`event %s must be a JSON object ({"request":{…},"context":{…}})`, path)
	}
	return b, nil
}

// position converts a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	prefix := b[:off]
	line = bytes.Count(prefix, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(prefix, '\n') + 1)
	return line, max(col, 1)
}

// eventTrigger returns context.workflow.trigger of an event, if it has one.
func eventTrigger(event []byte) abi.Trigger {
	var e struct {
		Context struct {
			Workflow struct {
				Trigger abi.Trigger `json:"trigger"`
			} `json:"workflow"`
		} `json:"context"`
	}
	_ = json.Unmarshal(event, &e)
	return e.Context.Workflow.Trigger
}
