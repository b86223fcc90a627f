package main

import (
	"os"

	"github.com/gatehouse-id/gatehouse/services/wfcli"
)

func wf(args []string) int { return wfcli.Main(args, os.Stdin, os.Stdout, os.Stderr) }
