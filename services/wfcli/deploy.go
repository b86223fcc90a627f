package wfcli

import (
	"context"
	"fmt"
	"io"
	"time"

	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
)

func runDeploy(c *cli, args []string) error {
	f := c.flags("deploy")
	r := addRemoteFlags(f)
	noLive := f.Bool("no-live", false, "upload without making the deployment live, whatever the environment's auto-live setting (make it live later with gatehouse wf live)")
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	target := "."
	if len(pos) == 1 {
		target = pos[0]
	}
	ctx, cancel := context.WithTimeout(c.ctx, buildTimeout+uploadTimeout)
	defer cancel()
	wasm, label, err := loadModule(ctx, target, c.stderr)
	if err != nil {
		return err
	}
	g, err := r.open(ctx)
	if err != nil {
		return err
	}
	defer g.Close()
	fmt.Fprintf(c.stderr, "uploading %s (%s, sha256 %s) to environment %s\n", label, humanBytes(len(wasm)), digestPrefix(wasm), *r.env)
	// Without --no-live the environment's auto-live setting decides.
	var live *bool
	if *noLive {
		live = new(bool)
	}
	resp, err := g.Upload(ctx, wasm, label, live)
	if err != nil {
		return fmt.Errorf("deploy %s: %w", label, err)
	}
	if len(resp.BuildLog) > 0 {
		fmt.Fprintln(c.stdout, "build log:")
		printBuildLog(c.stdout, resp.BuildLog)
	}
	dep := resp.Deployment
	fmt.Fprintf(c.stdout, "\ndeployment: %s\nstatus:     %s\n", dep.ID, dep.Status)
	if dep.WorkflowID != "" {
		fmt.Fprintf(c.stdout, "workflow:   %s (%s)\n", dep.WorkflowID, dep.Trigger)
	}
	if dep.Status == dapi.StatusFailed {
		fmt.Fprintf(c.stdout, "error:      %s\n", dep.Error)
		return errSilent
	}
	if resp.PreviewPassword != "" {
		fmt.Fprintf(c.stdout, "preview password: %s\n  (shown once: it lets you try this deployment before it is live)\n", resp.PreviewPassword)
	}
	if dep.Status != dapi.StatusLive {
		fmt.Fprintf(c.stdout, "\nmake it live with: gatehouse wf live %s --environment %s\n", dep.ID, *r.env)
	}
	return nil
}

// printBuildLog writes the build log of an upload, one entry a line.
func printBuildLog(w io.Writer, entries []dapi.LogEntry) {
	for _, e := range entries {
		fmt.Fprintf(w, "  %s  %-5s  %s\n", e.CreatedAt.Local().Format(time.DateTime), e.Level, sanitize(e.Message, "  "))
	}
}

// digestPrefix is the start of a module's sha256, enough to tell modules apart.
func digestPrefix(wasm []byte) string { return dapi.Digest(wasm)[:12] }
