package gatehouse

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Workflow is a handler bound to its settings. Register makes one the
// module's workflow; NewWorkflow builds one without registering it, which is
// what tests that exercise several handlers in one process need (see
// TestHost.Workflow).
type Workflow struct {
	settings     Settings
	settingsJSON []byte
	handle       func(event []byte) error
}

// registered is the module's workflow, set once by Register from init.
var registered *Workflow

// currentEvent holds the raw event while a handler runs.
var currentEvent []byte

// NewWorkflow binds handler to s. E must be one of the nine event types
// (PreMFAEvent, TokensGenerationEvent, …) or a struct embedding one, and its
// trigger must be s.Trigger.
//
// # Errors
//
// NewWorkflow fails when s has no id, an unknown trigger or failure policy,
// when E is not an event type, or when E's trigger differs from s.Trigger.
func NewWorkflow[E any](s Settings, handler func(*E) error) (*Workflow, error) {
	if handler == nil {
		return nil, errors.New("workflow: handler is nil")
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	var zero E
	ev, ok := any(&zero).(event)
	if !ok {
		return nil, fmt.Errorf("workflow %q: handler takes *%T, which is not a Gatehouse event type (use PreMFAEvent, TokensGenerationEvent, …)", s.ID, zero)
	}
	if t := ev.Trigger(); t != s.Trigger {
		return nil, fmt.Errorf("workflow %q: handler takes *%T, the %s event, but settings say trigger %s", s.ID, zero, t, s.Trigger)
	}
	js, err := json.Marshal(s.ABI())
	if err != nil {
		return nil, fmt.Errorf("workflow %q: encode settings: %w", s.ID, err)
	}
	trigger := s.Trigger
	fast := isEventType(&zero)
	return &Workflow{
		settings:     s,
		settingsJSON: js,
		handle: func(raw []byte) error {
			e := new(E)
			var err error
			if fast {
				err = decodeEvent(raw, any(e).(fastDecoder))
			} else {
				err = json.Unmarshal(raw, e)
			}
			if err != nil {
				return &eventError{trigger: trigger, err: err}
			}
			return handler(e)
		},
	}, nil
}

// isEventType reports whether p points to one of the nine event types
// themselves (not a struct embedding one), which decode without reflection.
func isEventType(p any) bool {
	switch p.(type) {
	case *PreRegistrationEvent, *PostAuthenticationEvent, *NewPasswordProvidedEvent,
		*ExistingPasswordProvidedEvent, *PreMFAEvent, *TokensGenerationEvent,
		*M2MTokenGenerationEvent, *PlanSelectionEvent, *PlanCancellationRequestEvent:
		return true
	}
	return false
}

// Register makes handler, with its settings, the module's workflow. Call it
// from the workflow's init function; main stays empty:
//
//	func init() { gatehouse.Register(settings, handle) }
//	func main()  {}
//
// Register panics, so that the module fails to load with a clear message,
// when NewWorkflow would fail or when it is called a second time.
func Register[E any](s Settings, handler func(*E) error) {
	if registered != nil {
		panic(fmt.Sprintf("gatehouse.Register: workflow %q is already registered; a module holds one workflow", registered.settings.ID))
	}
	w, err := NewWorkflow(s, handler)
	if err != nil {
		panic("gatehouse.Register: " + err.Error())
	}
	registered = w
}

// Settings returns the workflow's settings.
func (w *Workflow) Settings() Settings { return w.settings }

// SettingsJSON returns the settings as the module exports them (abi.Settings JSON).
func (w *Workflow) SettingsJSON() []byte { return append([]byte(nil), w.settingsJSON...) }

// call runs the handler on one event. A panic in the handler becomes an
// error starting with "panic: ".
func (w *Workflow) call(raw []byte) (err error) {
	currentEvent = raw
	defer func() {
		currentEvent = nil
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return w.handle(raw)
}

// RawEvent returns a copy of the event JSON the running handler was called
// with, for fields the typed events do not cover. It returns nil outside a
// handler.
func RawEvent() []byte {
	if currentEvent == nil {
		return nil
	}
	return append([]byte(nil), currentEvent...)
}

// eventError reports an event that does not decode into the handler's type.
type eventError struct {
	trigger Trigger
	err     error
}

func (e *eventError) Error() string {
	return fmt.Sprintf("decode %s event: %v", e.trigger, e.err)
}

func (e *eventError) Unwrap() error { return e.err }
