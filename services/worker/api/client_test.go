package api

import (
	"encoding/json"
	"testing"
)

func TestTriggerBodyRoundTrips(t *testing.T) {
	for _, preview := range []string{"", `dep_1"<\u2028`} {
		b, err := triggerBody(json.RawMessage(`{"request":{"ip":"1.2.3.4"}}`), preview)
		if err != nil {
			t.Fatal(err)
		}
		var req TriggerRequest
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if string(req.Event) != `{"request":{"ip":"1.2.3.4"}}` || req.DeploymentID != preview {
			t.Fatalf("round trip: %+v", req)
		}
	}
	if _, err := triggerBody(nil, ""); err == nil {
		t.Fatal("an empty event was accepted")
	}
}

func TestSubjectRoundTrip(t *testing.T) {
	s := Subject("production", "user:pre_mfa")
	if s != "gatehouse.trigger.production.user.pre_mfa" {
		t.Fatalf("subject %q", s)
	}
	env, trig, ok := ParseSubject(s)
	if !ok || env != "production" || trig != "user:pre_mfa" {
		t.Fatalf("parse: %q %q %v", env, trig, ok)
	}
	for _, bad := range []string{"gatehouse.trigger.production", "gatehouse.trigger..user.pre_mfa", "gatehouse.trigger.p.user.nope", "other.p.user.pre_mfa"} {
		if _, _, ok := ParseSubject(bad); ok {
			t.Errorf("ParseSubject(%q) accepted", bad)
		}
	}
}
