package logs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// cursor is the position of a record in a query's order: its stored time
// (microseconds, as PostgreSQL keeps it) and id. It also remembers the
// direction it was made for, since it means nothing in the other.
type cursor struct {
	Micros    int64  `json:"t"`
	ID        string `json:"i"`
	Ascending bool   `json:"a,omitempty"`
}

func newCursor(at time.Time, id string, ascending bool) cursor {
	return cursor{Micros: at.UnixMicro(), ID: id, Ascending: ascending}
}

func (c cursor) time() time.Time { return time.UnixMicro(c.Micros).UTC() }

// encode returns the opaque form handed to callers.
func (c cursor) encode() string {
	data, _ := json.Marshal(c) // cannot fail: plain fields
	return base64.RawURLEncoding.EncodeToString(data)
}

var errBadCursor = errors.New("cursor is not one returned by a previous query")

// decodeCursor parses s, made by encode for a query in direction ascending.
func decodeCursor(s string, ascending bool) (*cursor, error) {
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadCursor
	}
	var c cursor
	if err := json.Unmarshal(data, &c); err != nil || c.ID == "" || c.Micros == 0 {
		return nil, errBadCursor
	}
	if c.Ascending != ascending {
		return nil, fmt.Errorf("cursor was returned by a query in the other order: keep ascending as it was")
	}
	return &c, nil
}
