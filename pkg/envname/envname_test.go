package envname

import "testing"

func TestValidate(t *testing.T) {
	for _, ok := range []string{"production", "staging-2", "dev_1", "a"} {
		if err := Validate(ok); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "Prod", "a.b", "a>b", "a b", "-x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		if err := Validate(bad); err == nil {
			t.Errorf("Validate(%q) = nil, want an error", bad)
		}
	}
}
