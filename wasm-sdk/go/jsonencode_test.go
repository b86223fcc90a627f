package gatehouse

import (
	"encoding/json"
	"testing"
)

func TestMarshalValueMatchesEncodingJSON(t *testing.T) {
	values := []any{
		"plain", "", "quote\"", "back\\slash", "<html>&", "tab\t", "é", "\u2028", "\xff",
		true, false, 0, -42, int64(1) << 62, int32(-7), 3.5, 1e21, 0.000001,
		[]string{"a", "b"}, []string{}, []string(nil), []string{"x", "<"},
		map[string]any{"k": []int{1, 2}}, nil, struct {
			A string `json:"a"`
		}{"v"},
	}
	for _, v := range values {
		got, err := marshalValue(v)
		if err != nil {
			t.Fatalf("marshalValue(%#v): %v", v, err)
		}
		want, _ := json.Marshal(v)
		if string(got) != string(want) {
			t.Errorf("marshalValue(%#v) = %s, want %s", v, got, want)
		}
	}
	if _, err := marshalValue(make(chan int)); err == nil {
		t.Error("marshalValue(chan) succeeded")
	}
}
