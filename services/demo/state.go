package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateFile is the name of the file, under the data directory, that keeps
// what the seed cannot read back from the stores.
const stateFile = "demo.json"

// state is what the seed remembers across restarts.
type state struct {
	ClientID     string `json:"clientId,omitempty"`
	ClientSecret string `json:"clientSecret,omitempty"`
	UserID       string `json:"userId,omitempty"`
	Email        string `json:"email,omitempty"`
	Password     string `json:"password,omitempty"`
	OrgCode      string `json:"orgCode,omitempty"`
	// CLIClientID and CLIClientSecret are the management API client of
	// the CLI (gatehouse wf --url).
	CLIClientID     string `json:"cliClientId,omitempty"`
	CLIClientSecret string `json:"cliClientSecret,omitempty"`
}

// loadState reads the state file; a missing file is an empty state.
func loadState(dir string) (state, error) {
	var st state
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read demo state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, fmt.Errorf("read demo state %s: not valid JSON: %w", filepath.Join(dir, stateFile), err)
	}
	return st, nil
}

// saveState writes the state file atomically, readable by its owner only.
func saveState(dir string, st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode demo state: %w", err)
	}
	f, err := os.CreateTemp(dir, stateFile+".*")
	if err != nil {
		return fmt.Errorf("write demo state: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write demo state: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write demo state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write demo state: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write demo state: %w", err)
	}
	return nil
}
