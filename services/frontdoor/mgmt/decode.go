package mgmt

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 64 << 10

// decodeJSON reads the JSON object of the request body into v. It refuses
// another media type, a body over maxJSONBody, unknown fields, values of the
// wrong type and anything after the object, naming what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the request body must be JSON (Content-Type: application/json), not %q", r.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return jsonError(err)
		}
		return badRequest("the request body holds something after its JSON object")
	}
	return nil
}

// jsonError describes a decoding failure.
func jsonError(err error) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return errorf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			"the request body is over the limit of %d bytes", maxJSONBody)
	case errors.Is(err, io.EOF):
		return badRequest("the request body is empty; it must be a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the request body is truncated JSON")
	case errors.As(err, &syntax):
		return badRequest("the request body is not valid JSON (at byte %d): %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("the request body must be a JSON object, not %s", typ.Value)
		}
		return badRequest("field %s must be %s, not %s", typ.Field, jsonType(typ.Type.Kind().String()), typ.Value)
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("the request body has unknown field %s", field)
	}
	return badRequest("the request body is not valid: %v", err)
}

// jsonType names a Go kind as a JSON type.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

// queryInt reads integer query parameter name in [lo, hi], def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("query parameter %s must be an integer from %d to %d, not %q", name, lo, hi, s)
	}
	return n, nil
}

// checkQuery refuses query parameters other than allowed, so that a typo
// does not silently widen a list.
func checkQuery(r *http.Request, allowed ...string) error {
	for name, vs := range r.URL.Query() {
		known := false
		for _, a := range allowed {
			if name == a {
				known = true
				break
			}
		}
		if !known {
			return badRequest("unknown query parameter %q", name)
		}
		if len(vs) > 1 {
			return badRequest("query parameter %s is repeated", name)
		}
	}
	return nil
}
