package keys

import (
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// JSON decoding replaces invalid UTF-8, so this check cannot be reached over
// the bus; it guards callers that build requests in process.
func TestValueMustBeUTF8(t *testing.T) {
	err := validateValue("TOKEN", "ok\xffnot")
	if !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) || !strings.Contains(err.Error(), "value of variable TOKEN is not valid UTF-8") {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if strings.Contains(err.Error(), "ok") {
		t.Fatalf("the error repeats the value: %v", err)
	}
	if err := validateValue("TOKEN", "héllo ✓"); err != nil {
		t.Fatal(err)
	}
	if err := validateWorkflowID("wf\xff"); !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) {
		t.Fatalf("invalid UTF-8 workflow id: %v", err)
	}
}
