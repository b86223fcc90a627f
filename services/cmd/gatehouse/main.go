package main

import (
	"fmt"
	"os"
)

const usage = `gatehouse — identity front door with programmable auth workflows

Usage:
  gatehouse serve [flags]        run the platform (-target=all by default; -list-targets)
  gatehouse wf <command> [flags] write, test and deploy workflows (gatehouse wf help)
  gatehouse keys rotate-master   re-wrap the data keys with a new master key
  gatehouse admin create-client  create a management API client (prints its secret once)
  gatehouse version

Every flag can also be set with a GATEHOUSE_* environment variable
(-nats-url ↔ GATEHOUSE_NATS_URL).
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:])
	case "wf":
		return wf(args[1:])
	case "keys":
		return keysCmd(args[1:], os.Stdout, os.Stderr)
	case "admin":
		return adminCmd(args[1:], os.Stdout, os.Stderr)
	case "version":
		fmt.Println("gatehouse", version)
		return 0
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "gatehouse: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
