package wfcli

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes of Main.
const (
	exitOK      = 0 // the command did what was asked
	exitFailure = 1 // the command ran and failed (build error, workflow error, service error…)
	exitUsage   = 2 // the command line is wrong
)

// command is one `gatehouse wf` subcommand.
type command struct {
	name    string
	args    string // synopsis of the arguments and flags
	summary string
	run     func(c *cli, args []string) error
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"init", "<dir> --trigger TRIGGER [--id ID] [--name NAME] [--sdk PATH]", "scaffold a Go workflow for a trigger", runInit},
		{"build", "[dir] [-o workflow.wasm]", "compile a workflow to WebAssembly (GOOS=wasip1 GOARCH=wasm)", runBuild},
		{"test", "[dir|file.wasm] --event event.json [--env vars.env] [--secret-env secrets.env] [--allow-fetch host:port,…] [--json]", "run a workflow once, locally, and show its decision", runTest},
		{"deploy", "[dir|file.wasm] [--no-live] [--environment ENV]", "upload a workflow to Gatehouse (live at once unless --no-live or auto-live is off)", runDeploy},
		{"list", "[--environment ENV]", "list workflows and their deployments", runList},
		{"live", "<deploymentId> [--environment ENV]", "make a deployment live", runLive},
		{"deactivate", "<deploymentId> [--environment ENV]", "stop a live deployment", runDeactivate},
		{"delete", "<deploymentId> [--environment ENV]", "delete a deployment that is not live", runDelete},
		{"delete-workflow", "<workflowId> [--environment ENV]", "delete a workflow and all its deployments, freeing its trigger", runDeleteWorkflow},
		{"logs", "[--deployment ID] [--kind build|sync] [--limit N] [--environment ENV]", "show build and sync logs", runLogs},
		{"fire", "<trigger> --event event.json [--deployment ID] [--environment ENV] [--json]", "fire a trigger on a running Gatehouse and show the decision", runFire},
		{"help", "", "show this help", nil},
	}
}

// cli carries the streams of one invocation.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError is a mistake in the command line: Main prints it with a hint
// and exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errSilent is returned by a command that has already reported its failure
// (a workflow error, a failed deployment); Main only sets the exit code.
var errSilent = errors.New("failure already reported")

// errHelp is returned when -h or --help was asked for; usage was printed.
var errHelp = errors.New("help shown")

// Main runs `gatehouse wf` with args (the words after "wf") and returns the
// process exit code: 0 on success, 1 when the command failed, 2 when the
// command line is wrong.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.help(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		c.help(stdout)
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name != name || cmd.run == nil {
			continue
		}
		err := cmd.run(c, args[1:])
		var ue *usageError
		switch {
		case err == nil, errors.Is(err, errHelp):
			return exitOK
		case errors.Is(err, errSilent):
			return exitFailure
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "gatehouse wf %s: %v\nUsage: gatehouse wf %s %s\n", name, err, name, cmd.args)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "gatehouse wf %s: %v\n", name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "gatehouse wf: unknown command %q\n\n", name)
	c.help(stderr)
	return exitUsage
}

func (c *cli) help(w io.Writer) {
	var b strings.Builder
	b.WriteString("gatehouse wf — write, test and deploy Gatehouse workflows\n\nCommands:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "  %-11s %s\n", cmd.name, cmd.summary)
		if cmd.args != "" {
			fmt.Fprintf(&b, "  %-11s   gatehouse wf %s %s\n", "", cmd.name, cmd.args)
		}
	}
	b.WriteString(`
Flags go after the command and may be written -flag or --flag.
Commands that talk to Gatehouse take --nats-url (default $GATEHOUSE_NATS_URL,
else ` + defaultNATSURL + `) and --environment (default production).

A typical session:
  gatehouse wf init ./mfa --trigger user:pre_mfa
  gatehouse wf test ./mfa --event ./mfa/event.json
  gatehouse wf deploy ./mfa
  gatehouse wf fire user:pre_mfa --event ./mfa/event.json

Run "gatehouse wf <command> -h" for the flags of a command.
`)
	fmt.Fprint(w, b.String())
}
