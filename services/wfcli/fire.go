package wfcli

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// fireTimeout bounds a fired trigger, including a cold compile on the worker.
const fireTimeout = 30 * time.Second

func runFire(c *cli, args []string) error {
	f := c.flags("fire")
	r := addRemoteFlags(f)
	eventPath := f.String("event", "", "event JSON file (required; - reads standard input)")
	preview := f.String("deployment", "", "run this deployment instead of the live one (a preview)")
	asJSON := f.Bool("json", false, "print the raw decision JSON")
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("the trigger is required: one of %s", triggerList())
	}
	t := abi.Trigger(pos[0])
	if !t.Known() {
		return usagef("unknown trigger %q: use one of %s", pos[0], triggerList())
	}
	// fire talks to the workers over NATS whatever --url says: the
	// management API does not fire triggers.
	if err := r.validateEnv(); err != nil {
		return err
	}
	event, err := c.readEvent(*eventPath)
	if err != nil {
		return err
	}
	if et := eventTrigger(event); et != "" && et != t {
		fmt.Fprintf(c.stderr, "warning: the event is a %s event but you fire %s\n", et, t)
	}
	ctx, cancel := context.WithTimeout(c.ctx, fireTimeout)
	defer cancel()
	nc, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	client, err := api.NewClient(nc)
	if err != nil {
		return err
	}
	defer client.Close()
	d, err := client.Fire(ctx, *r.env, t, event, *preview)
	if err != nil {
		return fmt.Errorf("fire %s in %s: %w", t, *r.env, err)
	}
	if *asJSON {
		if err := printJSON(c.stdout, d); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "fired %s in environment %s\n", t, *r.env)
		printDecision(c.stdout, d)
	}
	if d.Error != nil {
		return errSilent
	}
	return nil
}
