package keys

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

// maxWorkflowIDBytes bounds a workflow id.
const maxWorkflowIDBytes = 128

// transportKeySize is the size of an X25519 public key.
const transportKeySize = 32

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func invalid(format string, args ...any) error {
	return natsrpc.Errorf(natsrpc.CodeInvalidArgument, format, args...)
}

func validateEnv(env string) error {
	if err := envname.Validate(env); err != nil {
		return invalid("%v", err)
	}
	return nil
}

func validateVarName(key string) error {
	switch {
	case key == "":
		return invalid("variable name is required")
	case len(key) > api.MaxKeyLen:
		return invalid("variable name is %d characters long; the limit is %d", len(key), api.MaxKeyLen)
	case !varName.MatchString(key):
		return invalid("variable name %q is invalid: use letters, digits and '_', not starting with a digit", key)
	}
	return nil
}

// validateValue checks a value without ever repeating it.
func validateValue(key, value string) error {
	switch {
	case len(value) > api.MaxValueBytes:
		return invalid("the value of variable %s is %d bytes; the limit is %d bytes", key, len(value), api.MaxValueBytes)
	case !utf8.ValidString(value):
		return invalid("the value of variable %s is not valid UTF-8", key)
	case strings.ContainsRune(value, 0):
		return invalid("the value of variable %s contains a NUL character, which text values cannot hold", key)
	}
	return nil
}

func validateWorkflowID(id string) error {
	switch {
	case id == "":
		return invalid("workflow id is required")
	case len(id) > maxWorkflowIDBytes:
		return invalid("workflow id is %d bytes long; the limit is %d", len(id), maxWorkflowIDBytes)
	case !utf8.ValidString(id):
		return invalid("workflow id is not valid UTF-8")
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return invalid("workflow id %q is invalid: it must not contain white space or control characters", id)
		}
	}
	return nil
}

func validateTransportKey(k []byte) error {
	if len(k) != transportKeySize {
		return invalid("transport key is %d bytes; an X25519 public key is %d bytes", len(k), transportKeySize)
	}
	return nil
}

func validateKeyID(id string) error {
	if id == "" {
		return invalid("encryption key id (keyId) is required")
	}
	if len(id) > maxWorkflowIDBytes || !utf8.ValidString(id) {
		return invalid("encryption key id is not a valid id")
	}
	return nil
}
