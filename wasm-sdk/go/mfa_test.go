package gatehouse

import (
	"testing"
	"time"
)

func TestLastMFA(t *testing.T) {
	var e PreMFAEvent
	if err := decodeEvent([]byte(`{"context":{"mfa":{"policy":"required","lastMfaAt":"2025-01-14T09:30:00+01:00"}}}`), &e); err != nil {
		t.Fatal(err)
	}
	at, ok := e.Context.MFA.LastMFA()
	if !ok || !at.Equal(time.Date(2025, 1, 14, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("LastMFA() = %v, %v", at, ok)
	}
	for _, v := range []string{"", "yesterday", "2025-01-14"} {
		if at, ok := (MFAContext{LastMFAAt: v}).LastMFA(); ok {
			t.Errorf("LastMFA(%q) = %v, want not ok", v, at)
		}
	}
}
