package wfcli

import (
	"context"
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

// command is one `gatehouse wf` subcommand. A command with subs is a group
// (`gatehouse wf env set …`): it has no run of its own.
type command struct {
	name    string
	args    string // synopsis of the arguments and flags
	summary string
	run     func(c *cli, args []string) error
	subs    []command
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{name: "init", args: "<dir> --trigger TRIGGER [--id ID] [--name NAME] [--sdk PATH]", summary: "scaffold a Go workflow for a trigger", run: runInit},
		{name: "build", args: "[dir] [-o workflow.wasm]", summary: "compile a workflow to WebAssembly (GOOS=wasip1 GOARCH=wasm)", run: runBuild},
		{name: "test", args: "[dir|file.wasm] --event event.json [--env vars.env] [--secret-env secrets.env] [--allow-fetch host:port,…] [--json]", summary: "run a workflow once, locally, and show its decision", run: runTest},
		{name: "deploy", args: "[dir|file.wasm] [--no-live] [--environment ENV]", summary: "upload a workflow to Gatehouse (live at once unless --no-live or auto-live is off)", run: runDeploy},
		{name: "list", args: "[--environment ENV]", summary: "list workflows and their deployments", run: runList},
		{name: "live", args: "<deploymentId> [--environment ENV]", summary: "make a deployment live", run: runLive},
		{name: "deactivate", args: "<deploymentId> [--environment ENV]", summary: "stop a live deployment", run: runDeactivate},
		{name: "delete", args: "<deploymentId> [--environment ENV]", summary: "delete a deployment that is not live", run: runDelete},
		{name: "delete-workflow", args: "<workflowId> [--environment ENV]", summary: "delete a workflow and all its deployments, freeing its trigger", run: runDeleteWorkflow},
		{name: "env", summary: "environment variables and secrets that workflows read (kinde.env)", subs: []command{
			{name: "set", args: "KEY [VALUE] [--secret] [--from-file FILE] [--environment ENV]", summary: "create or change a variable; a secret's value is read from standard input or --from-file, never the command line", run: runEnvSet},
			{name: "list", args: "[--json] [--environment ENV]", summary: "list the variables (secret values are never shown)", run: runEnvList},
			{name: "rm", args: "KEY [--environment ENV]", summary: "remove a variable", run: runEnvRm},
		}},
		{name: "keys", summary: "workflow encryption keys (secureFetch)", subs: []command{
			{name: "create", args: "WORKFLOW_ID [--json] [--environment ENV]", summary: "create a key; its value is shown this once (the first key of a workflow is active)", run: runKeysCreate},
			{name: "list", args: "WORKFLOW_ID [--json] [--environment ENV]", summary: "list a workflow's keys, without their values", run: runKeysList},
			{name: "activate", args: "KEY_ID [--environment ENV]", summary: "make a key the active one of its workflow", run: runKeysActivate},
			{name: "deactivate", args: "KEY_ID [--environment ENV]", summary: "deactivate a key", run: runKeysDeactivate},
			{name: "rm", args: "KEY_ID [--environment ENV]", summary: "delete a key that is not active", run: runKeysRm},
		}},
		{name: "logs", args: "[--kind runtime|build|sync] [--follow] [--deployment ID] [--workflow ID] [--execution ID] [--since 1h|RFC3339] [--until 1h|RFC3339] [--outcome ok|denied|error|timeout|shed] [--limit N] [--json] [--environment ENV]", summary: "show runtime (executions), build and sync logs, or follow them live", run: runLogs},
		{name: "fire", args: "<trigger> --event event.json [--deployment ID] [--environment ENV] [--json]", summary: "fire a trigger on a running Gatehouse and show the decision", run: runFire},
		{name: "help", summary: "show this help"},
	}
}

// findCommand returns the command called name: "deploy", or a group's
// subcommand such as "env set".
func findCommand(name string) (command, bool) {
	group, sub, isSub := strings.Cut(name, " ")
	for _, cmd := range commands() {
		if cmd.name != group {
			continue
		}
		if !isSub {
			return cmd, true
		}
		for _, s := range cmd.subs {
			if s.name == sub {
				return s, true
			}
		}
	}
	return command{}, false
}

// subNames lists a group's subcommands: "set, list or rm".
func (cmd command) subNames() string {
	names := make([]string, len(cmd.subs))
	for i, s := range cmd.subs {
		names[i] = s.name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// cli carries the context and the streams of one invocation.
type cli struct {
	ctx    context.Context // ends when the command must stop (tests cancel it)
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
	return run(context.Background(), args, stdin, stdout, stderr)
}

// run is Main with a context: long-running commands (logs --follow) stop
// when it ends.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
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
	cmd, ok := findCommand(name)
	if !ok || (cmd.run == nil && len(cmd.subs) == 0) {
		fmt.Fprintf(stderr, "gatehouse wf: unknown command %q\n\n", name)
		c.help(stderr)
		return exitUsage
	}
	rest := args[1:]
	if len(cmd.subs) > 0 {
		group := cmd
		switch {
		case len(rest) > 0 && (isHelpFlag(rest[0]) || rest[0] == "help"):
			group.printSubUsage(stdout)
			return exitOK
		case len(rest) == 0 || strings.HasPrefix(rest[0], "-"):
			fmt.Fprintf(stderr, "gatehouse wf %s: say what to do: %s (flags go after it)\n", name, group.subNames())
			group.printSubUsage(stderr)
			return exitUsage
		}
		sub, ok := findCommand(name + " " + rest[0])
		if !ok {
			fmt.Fprintf(stderr, "gatehouse wf %s: unknown subcommand %q: use %s\n", name, rest[0], group.subNames())
			group.printSubUsage(stderr)
			return exitUsage
		}
		cmd, name, rest = sub, name+" "+sub.name, rest[1:]
	}
	err := cmd.run(c, rest)
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

func isHelpFlag(s string) bool {
	switch s {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// printSubUsage lists a group's subcommands with their synopses.
func (cmd command) printSubUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n")
	for _, s := range cmd.subs {
		fmt.Fprintf(w, "  gatehouse wf %s %s %s\n      %s\n", cmd.name, s.name, s.args, s.summary)
	}
}

func (c *cli) help(w io.Writer) {
	var b strings.Builder
	b.WriteString("gatehouse wf — write, test and deploy Gatehouse workflows\n\nCommands:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "  %-11s %s\n", cmd.name, cmd.summary)
		if cmd.args != "" {
			fmt.Fprintf(&b, "  %-11s   gatehouse wf %s %s\n", "", cmd.name, cmd.args)
		}
		for _, s := range cmd.subs {
			fmt.Fprintf(&b, "  %-11s   gatehouse wf %s %s %s\n", "", cmd.name, s.name, s.args)
		}
	}
	b.WriteString(`
Flags go after the command and may be written -flag or --flag.
Commands that talk to Gatehouse take --environment (default production) and
reach it over NATS with --nats-url (default $GATEHOUSE_NATS_URL, else
` + defaultNATSURL + `), or over its management API with --url (default
$GATEHOUSE_URL) and either --token ($GATEHOUSE_TOKEN) or a machine-to-machine
client: --client-id ($GATEHOUSE_CLIENT_ID) and $GATEHOUSE_CLIENT_SECRET (or
--client-secret). fire always uses NATS.

A typical session:
  gatehouse wf init ./mfa --trigger user:pre_mfa
  gatehouse wf test ./mfa --event ./mfa/event.json
  gatehouse wf deploy ./mfa
  gatehouse wf fire user:pre_mfa --event ./mfa/event.json
  gatehouse wf logs --follow

Secrets stay out of shell history:
  gatehouse wf env set API_KEY --secret --from-file ./api-key.txt

Run "gatehouse wf <command> -h" for the flags of a command.
`)
	fmt.Fprint(w, b.String())
}
