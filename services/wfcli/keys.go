package wfcli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
)

func runKeysCreate(c *cli, args []string) error {
	f := c.flags("keys create")
	r := addRemoteFlags(f)
	asJSON := f.Bool("json", false, "print the key and its value as JSON")
	workflowID, err := positionalID(c, f, args, "the workflow id is required (see gatehouse wf list)")
	if err != nil {
		return err
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		resp, err := g.KeyCreate(ctx, workflowID)
		if err != nil {
			return fmt.Errorf("create an encryption key for workflow %s in %s: %w", workflowID, env, err)
		}
		if *asJSON {
			return printJSON(c.stdout, resp)
		}
		k := resp.Key
		fmt.Fprintf(c.stdout, "key:      %s\nworkflow: %s\n", k.ID, k.WorkflowID)
		if k.Active {
			fmt.Fprintln(c.stdout, "active:   yes (secureFetch encrypts with it)")
		} else {
			fmt.Fprintf(c.stdout, "active:   no (make it active with gatehouse wf keys activate %s --environment %s)\n", k.ID, env)
		}
		fmt.Fprintf(c.stdout, "\nThe key's value follows. Copy it now: it cannot be shown again.\n\n%s\n\n", resp.Value)
		return nil
	})
}

func runKeysList(c *cli, args []string) error {
	f := c.flags("keys list")
	r := addRemoteFlags(f)
	asJSON := f.Bool("json", false, "print the keys as JSON")
	workflowID, err := positionalID(c, f, args, "the workflow id is required (see gatehouse wf list)")
	if err != nil {
		return err
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		keys, err := g.KeyList(ctx, workflowID)
		if err != nil {
			return fmt.Errorf("list the encryption keys of workflow %s in %s: %w", workflowID, env, err)
		}
		resp := kapi.ListWorkflowKeysResponse{Keys: keys}
		if resp.Keys == nil {
			resp.Keys = []kapi.WorkflowKey{}
		}
		if *asJSON {
			return printJSON(c.stdout, resp)
		}
		if len(resp.Keys) == 0 {
			fmt.Fprintf(c.stdout, "workflow %s has no encryption keys in %s: create one with gatehouse wf keys create %s\n", workflowID, env, workflowID)
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tACTIVE\tCREATED\tACTIVATED")
		for _, k := range resp.Keys {
			active, activated := "no", "-"
			if k.Active {
				active = "yes"
			}
			if k.ActivatedAt != nil {
				activated = k.ActivatedAt.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, active, k.CreatedAt.Local().Format(time.DateTime), activated)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write the table: %w", err)
		}
		return nil
	})
}

func runKeysActivate(c *cli, args []string) error {
	return changeKey(c, "activate", args, gatehouse.KeyActivate, "activate", "is now the active key")
}

func runKeysDeactivate(c *cli, args []string) error {
	return changeKey(c, "deactivate", args, gatehouse.KeyDeactivate, "deactivate", "is deactivated")
}

// changeKey runs a keys subcommand that takes one key id and replies with
// the updated key.
func changeKey(c *cli, name string, args []string, change func(gatehouse, context.Context, string) (kapi.WorkflowKey, error), verb, done string) error {
	return onKey(c, name, args, func(ctx context.Context, g gatehouse, env, id string) error {
		k, err := change(g, ctx, id)
		if err != nil {
			return fmt.Errorf("%s key %s in %s: %w", verb, id, env, err)
		}
		of := ""
		if k.WorkflowID != "" {
			of = " of workflow " + k.WorkflowID
		}
		fmt.Fprintf(c.stdout, "key %s%s %s\n", id, of, done)
		return nil
	})
}

func runKeysRm(c *cli, args []string) error {
	return onKey(c, "rm", args, func(ctx context.Context, g gatehouse, env, id string) error {
		if err := g.KeyDelete(ctx, id); err != nil {
			return fmt.Errorf("delete key %s in %s: %w", id, env, err)
		}
		fmt.Fprintf(c.stdout, "key %s deleted\n", id)
		return nil
	})
}

// onKey parses a keys subcommand that takes one key id and the remote
// flags, connects, and runs fn.
func onKey(c *cli, name string, args []string, fn func(ctx context.Context, g gatehouse, env, id string) error) error {
	f := c.flags("keys " + name)
	r := addRemoteFlags(f)
	id, err := positionalID(c, f, args, "the key id is required (see gatehouse wf keys list WORKFLOW_ID)")
	if err != nil {
		return err
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		return fn(ctx, g, env, id)
	})
}

// positionalID parses a command that takes exactly one id.
func positionalID(c *cli, f *flagSet, args []string, missing string) (string, error) {
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return "", err
	}
	if len(pos) == 0 || pos[0] == "" {
		return "", usagef("%s", missing)
	}
	return pos[0], nil
}
