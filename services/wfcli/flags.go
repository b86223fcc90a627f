package wfcli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagSet is a flag.FlagSet for one command ("deploy", or "env set" in a
// group) that also accepts positional arguments between flags
// ("init ./dir --trigger x" and "init --trigger x ./dir" both work).
type flagSet struct {
	*flag.FlagSet
	name string
	args string
}

func (c *cli) flags(name string) *flagSet {
	fs := flag.NewFlagSet("gatehouse wf "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &flagSet{FlagSet: fs, name: name}
	if cmd, ok := findCommand(name); ok {
		f.args = cmd.args
	}
	fs.Usage = func() {}
	return f
}

// parse parses args and returns the positional arguments. It prints the
// command's usage and returns errHelp for -h/--help, and returns a
// usageError for an unknown or malformed flag or more positional arguments
// than maxPos.
func (f *flagSet) parse(c *cli, args []string, maxPos int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				f.printUsage(c.stdout)
				return nil, errHelp
			}
			return nil, usagef("%v", err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) > maxPos {
		return nil, usagef("unexpected argument %q", pos[maxPos])
	}
	return pos, nil
}

func (f *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: gatehouse wf %s %s\n\nFlags:\n", f.name, f.args)
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// listFlag is a comma-separated list flag that may also be repeated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l = append(*l, x)
		}
	}
	return nil
}
