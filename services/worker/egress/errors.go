package egress

import "errors"

// Sentinels wrapped by *Error so callers can tell the outcomes apart.
var (
	// ErrRefused: the destination (scheme or address) is not permitted.
	ErrRefused = errors.New("destination refused")
	// ErrResponseTooLarge: the body exceeded Config.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response too large")
	// ErrTooManyRedirects: more than Config.MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrTimeout: the connect or total timeout passed.
	ErrTimeout = errors.New("timed out")
	// ErrBadRequest: the URL or method is malformed.
	ErrBadRequest = errors.New("bad request")
	// ErrFailed: any other network or protocol failure.
	ErrFailed = errors.New("fetch failed")
)

// Error is every error a Client returns. Its message names the destination
// and the reason, e.g. "fetch to 169.254.169.254: link-local address refused".
type Error struct {
	Dest   string // the host the request was going to
	Reason string
	Err    error // one of the sentinels above
}

// Error implements error.
func (e *Error) Error() string { return "fetch to " + e.Dest + ": " + e.Reason }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }
