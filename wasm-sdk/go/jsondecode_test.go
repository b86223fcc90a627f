package gatehouse

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// newEvents returns a fresh pointer to each of the nine event types.
func newEvents() map[Trigger]func() fastDecoder {
	return map[Trigger]func() fastDecoder{
		TriggerPreRegistration:          func() fastDecoder { return new(PreRegistrationEvent) },
		TriggerPostAuthentication:       func() fastDecoder { return new(PostAuthenticationEvent) },
		TriggerNewPasswordProvided:      func() fastDecoder { return new(NewPasswordProvidedEvent) },
		TriggerExistingPasswordProvided: func() fastDecoder { return new(ExistingPasswordProvidedEvent) },
		TriggerPreMFA:                   func() fastDecoder { return new(PreMFAEvent) },
		TriggerTokensGeneration:         func() fastDecoder { return new(TokensGenerationEvent) },
		TriggerM2MTokenGeneration:       func() fastDecoder { return new(M2MTokenGenerationEvent) },
		TriggerPlanSelection:            func() fastDecoder { return new(PlanSelectionEvent) },
		TriggerPlanCancellationRequest:  func() fastDecoder { return new(PlanCancellationRequestEvent) },
	}
}

func sampleEvents(t testing.TB) map[Trigger]json.RawMessage {
	b, err := os.ReadFile("testdata/events.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[Trigger]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// compareDecoders decodes data with both decoders into fresh values and
// reports any difference in outcome or value.
func compareDecoders(t *testing.T, newV func() fastDecoder, data []byte) {
	t.Helper()
	fast, std := newV(), newV()
	errFast := decodeEvent(data, fast)
	errStd := json.Unmarshal(data, std)
	if (errFast == nil) != (errStd == nil) {
		t.Fatalf("input %q: fast decoder error %v, encoding/json error %v", data, errFast, errStd)
	}
	if errFast == nil && !reflect.DeepEqual(fast, std) {
		t.Fatalf("input %q:\nfast %+v\n std %+v", data, fast, std)
	}
}

func TestDecodeSampleEvents(t *testing.T) {
	samples := sampleEvents(t)
	for trig, newV := range newEvents() {
		data, ok := samples[trig]
		if !ok {
			t.Fatalf("no sample event for %s", trig)
		}
		t.Run(string(trig), func(t *testing.T) {
			compareDecoders(t, newV, data)
			v := newV()
			if err := decodeEvent(data, v); err != nil {
				t.Fatal(err)
			}
			if got := reflect.ValueOf(v).Elem().FieldByName("Context").FieldByName("Workflow").FieldByName("Trigger").String(); got != string(trig) {
				t.Errorf("context.workflow.trigger = %q", got)
			}
		})
	}
}

// fill sets every string, bool and []string field reachable from v to a
// value derived from its path, so that a field the fast decoder forgets
// shows up as a difference.
func fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.ValueOf([]string{path + "[0]", path + "[1]"}))
	}
}

func TestDecodeCoversEveryField(t *testing.T) {
	for trig, newV := range newEvents() {
		t.Run(string(trig), func(t *testing.T) {
			want := newV()
			fill(reflect.ValueOf(want).Elem(), "e")
			data, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			got := newV()
			if err := decodeEvent(data, got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fields lost in decoding:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	newV := func() fastDecoder { return new(PreMFAEvent) }
	inputs := []string{
		`{}`, `null`, ` {"request" : {} } `, `{"request":null,"context":null}`,
		`{"context":{"user":{"id":"a\"b\\c\/d\u00e9\ud83d\ude00\n"}}}`,
		`{"context":{"user":{"id":"caf\u00e9 \xff invalid utf8"}}}`,
		"{\"context\":{\"user\":{\"id\":\"caf\xc3\xa9\"}}}",
		`{"context":{"user":{"id":"x","id":"y"}}}`,
		`{"context":{"user":{"id":"x","id":null}}}`,
		`{"context":{"mfa":{"enabledFactors":["mfa:sms"],"enabledFactors":[]}}}`,
		`{"context":{"mfa":{"enabledFactors":null}}}`,
		`{"context":{"mfa":{"enabledFactors":["a",null,"b"]}}}`,
		`{"context":{"mfa":{"isUserRoleExempt":true,"isUserConnectionExempt":null}}}`,
		`{"unknown":[1,-2.5e+3,0,-0.0,1E9,true,false,null,{"a":[{}]},"s\u0041"],"context":{"user":{"id":"u"}}}`,
		`{"context":{"user":{"id":"u"}},"request":{"ip":"1.2.3.4","extra":{"deep":[[[[]]]]}}}`,
		`{"\u0063ontext":{"user":{"id":"escaped key"}}}`,
		// invalid input: both must fail
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[]`, `"s"`, `{"context":{"user":{"id":1}}}`,
		`{"context":{"user":{"id":"x"}}} trailing`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", `{"a":"unterminated}`,
		`{"context":{"mfa":{"enabledFactors":"mfa:sms"}}}`, `{"context":{"mfa":{"isUserRoleExempt":"yes"}}}`,
		`{"context":[]}`, `{'a':1}`, `{"a":1 "b":2}`, `{"a":[1 2]}`,
	}
	for _, in := range inputs {
		compareDecoders(t, newV, []byte(in))
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	deep := `{"x":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`
	if err := decodeEvent([]byte(deep), new(PreMFAEvent)); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deep input: %v", err)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, data := range sampleEvents(f) {
		f.Add([]byte(data))
	}
	f.Add([]byte(`{"context":{"user":{"id":"a\u00e9"}},"x":[1,{"y":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// encoding/json also matches keys case-insensitively; the fast
		// decoder does not, so compare only inputs whose keys cannot fold.
		if !noFoldableKeys(data) {
			_ = decodeEvent(data, new(PreMFAEvent)) // must not panic
			return
		}
		compareDecoders(t, func() fastDecoder { return new(PreMFAEvent) }, data)
	})
}

// noFoldableKeys reports whether data contains no escapes, no non-ASCII
// bytes and no spelling of a field name that differs from it only in case.
func noFoldableKeys(data []byte) bool {
	for _, c := range data {
		if c >= 0x80 || c == '\\' {
			return false
		}
	}
	lower := bytes.ToLower(data)
	for _, name := range fieldNames() {
		ln := []byte(strings.ToLower(name))
		for off := 0; ; {
			i := bytes.Index(lower[off:], ln)
			if i < 0 {
				break
			}
			if string(data[off+i:off+i+len(ln)]) != name {
				return false
			}
			off += i + 1
		}
	}
	return true
}

// fieldNames returns the JSON names of every field of the event types.
func fieldNames() []string {
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			names = append(names, name)
			walk(f.Type)
		}
	}
	for _, newV := range newEvents() {
		walk(reflect.TypeOf(newV()).Elem())
	}
	return names
}
