package wfcli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"unicode"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func runInit(c *cli, args []string) error {
	f := c.flags("init")
	trigger := f.String("trigger", "", "the trigger the workflow runs on (required), e.g. user:pre_mfa")
	id := f.String("id", "", "workflow id (default: the directory name in camelCase)")
	name := f.String("name", "", "workflow display name (default: a description of the starter code)")
	sdk := f.String("sdk", "", "path of the Go SDK, wasm-sdk/go (default: $"+envSDK+", else found above the current directory or the executable)")
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("the directory to create is required")
	}
	if *trigger == "" {
		return usagef("--trigger is required: one of %s", triggerList())
	}
	t := abi.Trigger(*trigger)
	if !t.Known() {
		return usagef("unknown trigger %q: use one of %s", *trigger, triggerList())
	}
	dir := pos[0]
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	sdkPath, err := findSDK(*sdk)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("directory %s: %w", dir, err)
	}
	base := filepath.Base(abs)
	data := scaffoldData{
		scaffold: scaffolds[t],
		Trigger:  t,
		ID:       *id,
		Name:     *name,
		Module:   moduleName(base),
		SDKPath:  sdkPath,
		Dir:      dir,
	}
	if data.ID == "" {
		data.ID = workflowID(base)
	}
	if strings.TrimSpace(data.ID) == "" || strings.ContainsAny(data.ID, " \t\r\n") {
		return usagef("--id %q is invalid: a workflow id is one word without spaces", data.ID)
	}
	if data.Name == "" {
		data.Name = data.DefaultName
	}

	files := []struct {
		name string
		tmpl *template.Template
		raw  string
	}{
		{name: "go.mod", tmpl: goModTemplate},
		{name: "main.go", tmpl: mainTemplate},
		{name: "event.json", raw: sampleEvents[t]},
		{name: "README.md", tmpl: readmeTemplate},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, file := range files {
		content := []byte(file.raw)
		if file.tmpl != nil {
			var b bytes.Buffer
			if err := file.tmpl.Execute(&b, struct {
				scaffoldData
				SDKModule string
			}{data, sdkModule}); err != nil {
				return fmt.Errorf("render %s: %w", file.name, err)
			}
			content = b.Bytes()
		}
		p := filepath.Join(dir, file.name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	fmt.Fprintf(c.stdout, "Created workflow %q (%s) in %s:\n", data.ID, t, dir)
	for _, file := range files {
		fmt.Fprintf(c.stdout, "  %s\n", filepath.Join(dir, file.name))
	}
	fmt.Fprintf(c.stdout, "SDK: %s\n\nNext:\n  gatehouse wf test %s --event %s\n  gatehouse wf deploy %s\n",
		sdkPath, dir, filepath.Join(dir, "event.json"), dir)
	return nil
}

// checkEmptyDir accepts a directory that does not exist or is empty.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return fmt.Errorf("%s exists and is not a directory: choose a new directory", dir)
		}
		return fmt.Errorf("read %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("directory %s is not empty (it holds %s): choose a new or empty directory", dir, entries[0].Name())
	}
	return nil
}

func triggerList() string {
	names := make([]string, len(abi.Triggers))
	for i, t := range abi.Triggers {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// moduleName turns a directory name into a Go module path: lower case,
// with characters other than letters, digits, '.', '_' and '-' replaced by '-'.
func moduleName(base string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	s := strings.Trim(b.String(), "-.")
	if s == "" {
		return "workflow"
	}
	return s
}

// workflowID turns a directory name into a camelCase id ("pre-mfa" → "preMfa").
func workflowID(base string) string {
	words := strings.FieldsFunc(base, func(r rune) bool {
		return r >= unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r))
	})
	var b strings.Builder
	for i, w := range words {
		w = strings.ToLower(w)
		if i > 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	id := b.String()
	if id == "" || unicode.IsDigit(rune(id[0])) {
		id = "workflow" + strings.ToUpper(id[:min(1, len(id))]) + id[min(1, len(id)):]
	}
	return id
}
