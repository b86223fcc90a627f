//go:build !wasip1

package gatehouse

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func TestSettingsJSON(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		want string
	}{
		{
			name: "kinde shape",
			s: Settings{
				ID: "preMFA", Name: "Pre-MFA", Trigger: TriggerPreMFA,
				FailurePolicy: FailurePolicy{Action: FailContinue},
				Bindings:      Bindings{"kinde.mfa": {}, "kinde.fetch": nil},
			},
			want: `{"id":"preMFA","name":"Pre-MFA","trigger":"user:pre_mfa","failurePolicy":{"action":"continue"},"bindings":{"kinde.fetch":{},"kinde.mfa":{}}}`,
		},
		{
			name: "defaults",
			s:    Settings{ID: "onTokens", Trigger: TriggerTokensGeneration},
			want: `{"id":"onTokens","trigger":"user:tokens_generation","failurePolicy":{"action":"stop"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			var back abi.Settings
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(back)
			if string(again) != tt.want {
				t.Errorf("abi.Settings round trip: %s", again)
			}
		})
	}
}

func TestNewWorkflowErrors(t *testing.T) {
	ok := func(*PreMFAEvent) error { return nil }
	tests := []struct {
		name string
		new  func() (*Workflow, error)
		want string
	}{
		{"empty id", func() (*Workflow, error) { return NewWorkflow(Settings{Trigger: TriggerPreMFA}, ok) }, "id is empty"},
		{"unknown trigger", func() (*Workflow, error) { return NewWorkflow(Settings{ID: "x", Trigger: "user:nope"}, ok) }, `unknown trigger "user:nope"`},
		{"bad policy", func() (*Workflow, error) {
			return NewWorkflow(Settings{ID: "x", Trigger: TriggerPreMFA, FailurePolicy: FailurePolicy{Action: "retry"}}, ok)
		}, `failurePolicy.action "retry"`},
		{"trigger mismatch", func() (*Workflow, error) { return NewWorkflow(Settings{ID: "x", Trigger: TriggerTokensGeneration}, ok) },
			"the user:pre_mfa event, but settings say trigger user:tokens_generation"},
		{"not an event", func() (*Workflow, error) {
			return NewWorkflow(Settings{ID: "x", Trigger: TriggerPreMFA}, func(*struct{ A int }) error { return nil })
		}, "not a Gatehouse event type"},
		{"nil handler", func() (*Workflow, error) {
			return NewWorkflow[PreMFAEvent](Settings{ID: "x", Trigger: TriggerPreMFA}, nil)
		}, "handler is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.new()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewWorkflow = %v, %v; want error containing %q", w, err, tt.want)
			}
		})
	}
}

func TestRegisterPanics(t *testing.T) {
	saved := registered
	t.Cleanup(func() { registered = saved })
	registered = nil

	mustPanic := func(want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(r.(string), want) {
				t.Errorf("panic = %v, want one containing %q", r, want)
			}
		}()
		f()
	}
	mustPanic("settings say trigger user:pre_mfa", func() {
		Register(Settings{ID: "a", Trigger: TriggerPreMFA}, func(*TokensGenerationEvent) error { return nil })
	})
	Register(Settings{ID: "a", Trigger: TriggerPreMFA}, func(*PreMFAEvent) error { return nil })
	mustPanic(`workflow "a" is already registered`, func() {
		Register(Settings{ID: "b", Trigger: TriggerPreMFA}, func(*PreMFAEvent) error { return nil })
	})
}

// A struct embedding an event type is accepted and decoded with encoding/json.
func TestEmbeddedEventType(t *testing.T) {
	type myEvent struct {
		PreMFAEvent
		Extra struct {
			Flag bool `json:"flag"`
		} `json:"extra"`
	}
	var got *myEvent
	w, err := NewWorkflow(Settings{ID: "x", Trigger: TriggerPreMFA}, func(e *myEvent) error { got = e; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&TestHost{Workflow: w}).Run(t.Context(), []byte(`{"context":{"user":{"id":"kp_1"}},"extra":{"flag":true}}`)); err != nil {
		t.Fatal(err)
	}
	if got.Context.User.ID != "kp_1" || !got.Extra.Flag {
		t.Errorf("decoded %+v", got)
	}
}
