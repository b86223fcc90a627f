package wfcli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
)

// listLimit is how many deployments list shows.
const listLimit = 50

func runList(c *cli, args []string) error {
	f := c.flags("list")
	r := addRemoteFlags(f)
	asJSON := f.Bool("json", false, "print the workflows and deployments as JSON")
	if _, err := f.parse(c, args, 0); err != nil {
		return err
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		workflows, err := g.Workflows(ctx)
		if err != nil {
			return fmt.Errorf("list workflows of %s: %w", env, err)
		}
		deployments, err := g.Deployments(ctx, listLimit)
		if err != nil {
			return fmt.Errorf("list deployments of %s: %w", env, err)
		}
		if workflows == nil {
			workflows = []dapi.Workflow{}
		}
		if deployments == nil {
			deployments = []dapi.Deployment{}
		}
		if *asJSON {
			return printJSON(c.stdout, struct {
				Workflows   []dapi.Workflow   `json:"workflows"`
				Deployments []dapi.Deployment `json:"deployments"`
			}{workflows, deployments})
		}
		if len(workflows) == 0 && len(deployments) == 0 {
			fmt.Fprintf(c.stdout, "no workflows in environment %s yet: deploy one with gatehouse wf deploy\n", env)
			return nil
		}
		fmt.Fprintf(c.stdout, "Workflows in %s:\n", env)
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WORKFLOW\tTRIGGER\tSTATUS\tLIVE DEPLOYMENT\tNAME")
		for _, w := range workflows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.ID, w.Trigger, w.Status, orDefault(w.LiveDeploymentID, "-"), orDefault(w.Name, "-"))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write the table: %w", err)
		}
		fmt.Fprintf(c.stdout, "\nDeployments (newest first, at most %d):\n", listLimit)
		tw = tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DEPLOYMENT\tWORKFLOW\tSTATUS\tSIZE\tCREATED\tSOURCE")
		for _, d := range deployments {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, orDefault(d.WorkflowID, "-"), d.Status,
				humanBytes(d.Size), d.CreatedAt.Local().Format(time.DateTime), orDefault(d.Source, "-"))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write the table: %w", err)
		}
		return nil
	})
}

func runLive(c *cli, args []string) error {
	return changeDeployment(c, "live", args, gatehouse.MakeLive, "is now Live")
}

func runDeactivate(c *cli, args []string) error {
	return changeDeployment(c, "deactivate", args, gatehouse.Deactivate, "is deactivated")
}

// changeDeployment runs a command that takes one deployment id and replies
// with the updated deployment.
func changeDeployment(c *cli, name string, args []string, change func(gatehouse, context.Context, string) (dapi.Deployment, error), done string) error {
	return onDeployment(c, name, args, func(ctx context.Context, g gatehouse, env, id string) error {
		d, err := change(g, ctx, id)
		if err != nil {
			return fmt.Errorf("deployment %s: %w", id, err)
		}
		fmt.Fprintf(c.stdout, "deployment %s of workflow %s (%s) %s (status %s)\n", d.ID, orDefault(d.WorkflowID, "-"), d.Trigger, done, d.Status)
		return nil
	})
}

func runDelete(c *cli, args []string) error {
	return onDeployment(c, "delete", args, func(ctx context.Context, g gatehouse, env, id string) error {
		if err := g.DeleteDeployment(ctx, id); err != nil {
			return fmt.Errorf("delete deployment %s: %w", id, err)
		}
		fmt.Fprintf(c.stdout, "deployment %s deleted\n", id)
		return nil
	})
}

func runDeleteWorkflow(c *cli, args []string) error {
	f := c.flags("delete-workflow")
	r := addRemoteFlags(f)
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] == "" {
		return usagef("the workflow id is required (see gatehouse wf list)")
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		id := pos[0]
		if err := g.DeleteWorkflow(ctx, id); err != nil {
			return fmt.Errorf("delete workflow %s: %w", id, err)
		}
		fmt.Fprintf(c.stdout, "workflow %s deleted with all its deployments; its trigger is free\n", id)
		return nil
	})
}

// onDeployment parses a command that takes one deployment id and the remote
// flags, connects, and runs fn.
func onDeployment(c *cli, name string, args []string, fn func(ctx context.Context, g gatehouse, env, id string) error) error {
	f := c.flags(name)
	r := addRemoteFlags(f)
	id, err := deploymentArg(c, f, args)
	if err != nil {
		return err
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		return fn(ctx, g, env, id)
	})
}

func deploymentArg(c *cli, f *flagSet, args []string) (string, error) {
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return "", err
	}
	if len(pos) == 0 || pos[0] == "" {
		return "", usagef("the deployment id is required (see gatehouse wf list)")
	}
	return pos[0], nil
}
