package gatehouse

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// A small, reflection-free JSON decoder for the nine event types. Decoding
// the event is most of the cost of a pooled execution under WebAssembly, and
// encoding/json's reflection is several times slower there than this.
//
// It accepts exactly the JSON that encoding/json accepts and produces the
// same values for the event types, with one difference: object keys match
// field names exactly (encoding/json also accepts a case-insensitive match).
// Strings containing escapes or non-ASCII bytes are handed to encoding/json
// so that their decoding is identical.

// maxDepth is the nesting limit, as in encoding/json.
const maxDepth = 10000

type decoder struct {
	data  []byte
	i     int
	depth int
}

// fastDecoder is implemented by the event types and their parts.
type fastDecoder interface {
	decodeJSON(d *decoder) error
}

// decodeEvent decodes data into v, requiring nothing but whitespace after
// the value.
func decodeEvent(data []byte, v fastDecoder) error {
	d := &decoder{data: data}
	if err := v.decodeJSON(d); err != nil {
		return err
	}
	d.ws()
	if d.i != len(d.data) {
		return d.syntax("data after the top-level value")
	}
	return nil
}

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end of the input.
func (d *decoder) peek() byte {
	d.ws()
	if d.i >= len(d.data) {
		return 0
	}
	return d.data[d.i]
}

func (d *decoder) syntax(what string) error {
	if d.i >= len(d.data) {
		return fmt.Errorf("invalid JSON: unexpected end of input (%s)", what)
	}
	return fmt.Errorf("invalid JSON at offset %d: %s", d.i, what)
}

func (d *decoder) typeError(want string, key []byte) error {
	if key == nil {
		return fmt.Errorf("JSON value at offset %d: want %s", d.i, want)
	}
	return fmt.Errorf("JSON field %q at offset %d: want %s", key, d.i, want)
}

// literal consumes lit (null, true or false).
func (d *decoder) literal(lit string) error {
	if len(d.data)-d.i < len(lit) || string(d.data[d.i:d.i+len(lit)]) != lit {
		return d.syntax("invalid literal")
	}
	d.i += len(lit)
	return nil
}

// object decodes an object, calling field for each key; field must consume
// the value. null is accepted and changes nothing.
func (d *decoder) object(key []byte, field func(d *decoder, key []byte) error) error {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '{':
	case '"', '[', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return d.typeError("an object", key)
	default:
		return d.syntax("expected a value")
	}
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nested too deeply")
	}
	d.i++
	if d.peek() == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("expected a string key")
		}
		k, err := d.rawString()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.syntax("expected ':' after an object key")
		}
		d.i++
		if err := field(d, k); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("expected ',' or '}' in an object")
		}
	}
}

// array decodes an array, calling elem for each element. null is accepted:
// it calls null and nothing else.
func (d *decoder) array(key []byte, null func(), elem func(d *decoder) error) error {
	switch d.peek() {
	case 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		if null != nil {
			null()
		}
		return nil
	case '[':
	case '"', '{', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return d.typeError("an array", key)
	default:
		return d.syntax("expected a value")
	}
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nested too deeply")
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if err := elem(d); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("expected ',' or ']' in an array")
		}
	}
}

// rawString consumes a string at d.i (which is '"') and returns its value.
// The result aliases the input when the string is plain ASCII without
// escapes; otherwise it is decoded by encoding/json.
func (d *decoder) rawString() ([]byte, error) {
	start := d.i
	plain := true
	for j := start + 1; j < len(d.data); j++ {
		c := d.data[j]
		switch {
		case c == '"':
			d.i = j + 1
			if plain {
				return d.data[start+1 : j], nil
			}
			var s string
			if err := json.Unmarshal(d.data[start:j+1], &s); err != nil {
				d.i = start
				return nil, d.syntax("invalid string")
			}
			return []byte(s), nil
		case c == '\\':
			plain = false
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			d.i = j
			return nil, d.syntax("control character in a string")
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	d.i = len(d.data)
	return nil, d.syntax("unterminated string")
}

// str decodes a string into dst; null leaves dst unchanged.
func (d *decoder) str(key []byte, dst *string) error {
	switch d.peek() {
	case '"':
		b, err := d.rawString()
		if err != nil {
			return err
		}
		*dst = string(b)
		return nil
	case 'n':
		return d.literal("null")
	case '{', '[', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return d.typeError("a string", key)
	default:
		return d.syntax("expected a value")
	}
}

// boolean decodes a bool into dst; null leaves dst unchanged.
func (d *decoder) boolean(key []byte, dst *bool) error {
	switch d.peek() {
	case 't':
		*dst = true
		return d.literal("true")
	case 'f':
		*dst = false
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '"', '{', '[', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return d.typeError("a boolean", key)
	default:
		return d.syntax("expected a value")
	}
}

// strings decodes an array of strings into dst; null sets dst to nil.
func (d *decoder) strings(key []byte, dst *[]string) error {
	var out []string
	seen := false
	err := d.array(key, func() { *dst = nil }, func(d *decoder) error {
		seen = true
		var s string
		if err := d.str(key, &s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return err
	}
	if d.data[d.i-1] == ']' {
		if !seen {
			out = []string{}
		}
		*dst = out
	}
	return nil
}

// skip consumes any value, checking its syntax.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '"':
		_, err := d.rawString()
		return err
	case c == '{':
		return d.object(nil, func(d *decoder, _ []byte) error { return d.skip() })
	case c == '[':
		return d.array(nil, nil, (*decoder).skip)
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return d.syntax("expected a value")
	}
}

// number consumes a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) number() error {
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.data[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.data) && d.data[d.i] == '0':
		d.i++
	case digits() == 0:
		return d.syntax("invalid number")
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	return nil
}
