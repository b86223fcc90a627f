package gatehouse

import "github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"

// BindingError is returned when the host refuses a binding call: the binding
// is not declared in the settings, not available in the trigger, the argument
// is invalid, a limit was reached, a fetch failed…
//
// When the reason is misuse (StatusNotDeclared, StatusNotAvailable) the host
// also records the execution as failed, whatever the handler does with the
// error.
type BindingError struct {
	// Binding is the binding called, e.g. "kinde.env".
	Binding string
	// Status is the host's status code.
	Status abi.Status
	// Message is the host's explanation.
	Message string
}

// Error returns "<binding>: <status>: <message>".
func (e *BindingError) Error() string {
	return e.Binding + ": " + e.Status.String() + ": " + e.Message
}

func bindingError(b abi.Binding, st abi.Status, msg string) error {
	return &BindingError{Binding: string(b), Status: st, Message: msg}
}
