package envname

import (
	"fmt"
	"regexp"
)

// Default is the environment a fresh install has.
const Default = "production"

var valid = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate returns a clear error unless name is 1–32 characters of a-z, 0-9,
// '_' and '-', starting with a letter or digit.
func Validate(name string) error {
	if name == "" {
		return fmt.Errorf("environment name is required")
	}
	if !valid.MatchString(name) {
		return fmt.Errorf("environment name %q is invalid: use 1-32 characters a-z, 0-9, '_' or '-', starting with a letter or digit", name)
	}
	return nil
}
