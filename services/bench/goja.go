package bench

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dop251/goja"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
)

// gojaSource is the tokensbench logic in JavaScript, in the shape of a
// Kinde workflow: the host hands the event JSON in, the workflow sets two
// access-token claims and the decision goes back as JSON.
const gojaSource = `
function handle(eventJSON) {
  const event = JSON.parse(eventJSON);
  const claims = {};
  claims.ip = event.request.ip;
  claims.org = event.context.organization.code;
  return JSON.stringify({ ran: true, failurePolicy: "stop", accessTokenClaims: claims });
}
`

// gojaRunner runs the compiled program in a fresh runtime per execution, as
// Kinde's workflow runtime does: no state leaks from one execution to the
// next.
type gojaRunner struct {
	prog  *goja.Program
	event string
}

func newGojaRunner() (*gojaRunner, error) {
	prog, err := goja.Compile("tokensbench.js", gojaSource, true)
	if err != nil {
		return nil, fmt.Errorf("goja: compile the workflow: %w", err)
	}
	return &gojaRunner{prog: prog, event: string(tokensEvent)}, nil
}

// run executes the workflow once and decodes its decision.
func (g *gojaRunner) run() (wapi.Decision, error) {
	var d wapi.Decision
	vm := goja.New()
	if _, err := vm.RunProgram(g.prog); err != nil {
		return d, fmt.Errorf("goja: load the workflow: %w", err)
	}
	handle, ok := goja.AssertFunction(vm.Get("handle"))
	if !ok {
		return d, fmt.Errorf("goja: the workflow defines no handle function")
	}
	out, err := handle(goja.Undefined(), vm.ToValue(g.event))
	if err != nil {
		return d, fmt.Errorf("goja: run the workflow: %w", err)
	}
	if err := json.Unmarshal([]byte(out.String()), &d); err != nil {
		return d, fmt.Errorf("goja: decode the decision: %w", err)
	}
	return d, nil
}

// measureGoja times one execution on a fresh runtime.
func measureGoja(ctx context.Context, spec runSpec) (Latency, error) {
	g, err := newGojaRunner()
	if err != nil {
		return Latency{}, err
	}
	return measure(ctx, "goja", spec, func() error {
		d, err := g.run()
		if err != nil {
			return err
		}
		return checkClaims(d)
	})
}
