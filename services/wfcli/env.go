package wfcli

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
)

// varName is the rule the keys service applies to variable names.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envListValueWidth is how much of a value env list shows.
const envListValueWidth = 60

func runEnvSet(c *cli, args []string) error {
	f := c.flags("env set")
	r := addRemoteFlags(f)
	secret := f.Bool("secret", false, "store the value as a secret: encrypted at rest, never shown again, redacted from workflow logs")
	fromFile := f.String("from-file", "", "read the value from this file, - for standard input (one trailing newline is removed)")
	pos, err := f.parse(c, args, 2)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("the variable name is required")
	}
	key := pos[0]
	if err := checkVarName(key); err != nil {
		return err
	}
	var value string
	switch {
	case len(pos) == 2 && *secret:
		return usagef("a secret's value is not taken from the command line, where it would stay in your shell history and show in the process list: " +
			"pipe it on standard input or use --from-file FILE")
	case len(pos) == 2 && *fromFile != "":
		return usagef("give the value either as an argument or with --from-file, not both")
	case len(pos) == 2:
		value = pos[1]
	case *fromFile != "" && *fromFile != "-":
		if value, err = readValue(nil, *fromFile); err != nil {
			return err
		}
	default:
		if c.stdin == nil {
			return usagef("the value is required: give it after the name, with --from-file FILE, or on standard input")
		}
		if isTerminal(c.stdin) {
			fmt.Fprintf(c.stderr, "enter the value of %s, then Ctrl-D:\n", key)
		}
		if value, err = readValue(c.stdin, ""); err != nil {
			return err
		}
	}
	if err := checkVarValue(key, value); err != nil {
		return err
	}
	if value == "" {
		fmt.Fprintf(c.stderr, "warning: the value of %s is empty\n", key)
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		if err := upsertEnv(ctx, g, key, value, *secret); err != nil {
			return fmt.Errorf("set %s in %s: %w", key, env, err)
		}
		kind := ""
		if *secret {
			kind = " (secret)"
		}
		fmt.Fprintf(c.stdout, "set %s in %s%s\n", key, env, kind)
		return nil
	})
}

// upsertEnv changes the variable, or creates it when it does not exist.
func upsertEnv(ctx context.Context, g gatehouse, key, value string, secret bool) error {
	update := func() error { return g.EnvUpdate(ctx, key, value, secret) }
	err := update()
	if errCode(err) != string(natsrpc.CodeNotFound) {
		return err
	}
	err = g.EnvCreate(ctx, key, value, secret)
	if errCode(err) == string(natsrpc.CodeConflict) {
		// Someone created it in the meantime: change it.
		return update()
	}
	return err
}

// checkVarName applies the keys service's rule to a variable name.
func checkVarName(key string) error {
	switch {
	case key == "":
		return usagef("the variable name is required")
	case len(key) > kapi.MaxKeyLen:
		return usagef("the variable name is %d characters long; the limit is %d", len(key), kapi.MaxKeyLen)
	case !varName.MatchString(key):
		return usagef("variable name %q is invalid: use letters, digits and '_', not starting with a digit", key)
	}
	return nil
}

// checkVarValue checks a value's size and encoding without repeating it.
func checkVarValue(key, value string) error {
	switch {
	case len(value) > kapi.MaxValueBytes:
		return usagef("the value of %s is %d bytes; the limit is %d bytes", key, len(value), kapi.MaxValueBytes)
	case !utf8.ValidString(value):
		return usagef("the value of %s is not valid UTF-8 text", key)
	case strings.ContainsRune(value, 0):
		return usagef("the value of %s contains a NUL character, which text values cannot hold", key)
	}
	return nil
}

// readValue reads a value from path, or from in when path is empty, and
// removes exactly one trailing newline ("\n" or "\r\n"). It reads a little
// more than the limit so that checkVarValue reports an oversized value.
func readValue(in io.Reader, path string) (string, error) {
	if path != "" {
		file, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("read the value: %w", err)
		}
		defer file.Close()
		in = file
	}
	data, err := io.ReadAll(io.LimitReader(in, kapi.MaxValueBytes+3))
	if err != nil {
		if path == "" {
			return "", fmt.Errorf("read the value from standard input: %w", err)
		}
		return "", fmt.Errorf("read the value from %s: %w", path, err)
	}
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		s = t
	} else {
		s = strings.TrimSuffix(s, "\n")
	}
	return s, nil
}

// isTerminal reports whether r is a terminal, where people type the value.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func runEnvList(c *cli, args []string) error {
	f := c.flags("env list")
	r := addRemoteFlags(f)
	asJSON := f.Bool("json", false, "print the variables as JSON (secret values are never included)")
	if _, err := f.parse(c, args, 0); err != nil {
		return err
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		vars, err := g.EnvList(ctx)
		if err != nil {
			return fmt.Errorf("list the variables of %s: %w", env, err)
		}
		resp := kapi.ListEnvResponse{Variables: vars}
		if resp.Variables == nil {
			resp.Variables = []kapi.EnvVar{}
		}
		if *asJSON {
			return printJSON(c.stdout, resp)
		}
		if len(resp.Variables) == 0 {
			fmt.Fprintf(c.stdout, "no variables in environment %s yet: add one with gatehouse wf env set KEY VALUE (or --secret for a secret)\n", env)
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tSECRET\tVALUE\tUPDATED")
		for _, v := range resp.Variables {
			secret, value := "no", displayValue(v.Value)
			if v.IsSecret {
				secret, value = "yes", "[secret]"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Key, secret, value, v.UpdatedAt.Local().Format(time.DateTime))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write the table: %w", err)
		}
		return nil
	})
}

// displayValue fits a value on one line of the table: control characters
// are escaped and a long value is cut (--json shows it whole).
func displayValue(v string) string {
	if v == "" {
		return `""`
	}
	v = strings.ReplaceAll(escapeControls(v), "\t", `\t`)
	if utf8.RuneCountInString(v) > envListValueWidth {
		v = string([]rune(v)[:envListValueWidth-1]) + "…"
	}
	return v
}

func runEnvRm(c *cli, args []string) error {
	f := c.flags("env rm")
	r := addRemoteFlags(f)
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("the variable name is required (see gatehouse wf env list)")
	}
	key := pos[0]
	if err := checkVarName(key); err != nil {
		return err
	}
	return r.with(c.ctx, func(ctx context.Context, g gatehouse, env string) error {
		if err := g.EnvDelete(ctx, key); err != nil {
			return fmt.Errorf("remove %s from %s: %w", key, env, err)
		}
		fmt.Fprintf(c.stdout, "removed %s from %s\n", key, env)
		return nil
	})
}
