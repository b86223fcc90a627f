package gatehouse

import (
	"encoding/json"
	"strconv"
)

// marshalValue encodes v as encoding/json does, without reflection for the
// values claims are usually set to: plain strings, bools, integers and
// string slices. Everything else goes through json.Marshal.
func marshalValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if b, ok := appendPlainString(nil, x); ok {
			return b, nil
		}
	case bool:
		return strconv.AppendBool(nil, x), nil
	case int:
		return strconv.AppendInt(nil, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(nil, x, 10), nil
	case int32:
		return strconv.AppendInt(nil, int64(x), 10), nil
	case []string:
		if x == nil {
			return []byte("null"), nil
		}
		b := append(make([]byte, 0, 2+16*len(x)), '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendPlainString(b, s); !ok {
				return json.Marshal(v)
			}
		}
		return append(b, ']'), nil
	}
	return json.Marshal(v)
}

// appendPlainString quotes s when it is printable ASCII that json.Marshal
// would not escape; ok is false otherwise.
func appendPlainString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}
