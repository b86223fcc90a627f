package api

import (
	"encoding/json"
	"fmt"
	"time"
)

// MarshalJSON writes d as whole seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(int64(time.Duration(d) / time.Second))
}

// UnmarshalJSON reads whole seconds (not negative).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s int64
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a whole number of seconds: %w", err)
	}
	if s < 0 {
		return fmt.Errorf("a duration cannot be negative (%d)", s)
	}
	*d = Duration(time.Duration(s) * time.Second)
	return nil
}
