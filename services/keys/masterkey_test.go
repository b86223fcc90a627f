package keys_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/keys"
)

func TestLoadMasterKeyProductionRequiresOne(t *testing.T) {
	_, _, err := keys.LoadMasterKey(keys.MasterKeySource{Production: true, DevFile: filepath.Join(t.TempDir(), "k")})
	if err == nil || !strings.Contains(err.Error(), "a master key is required with -env=production: set GATEHOUSE_MASTER_KEY or -master-key-file") {
		t.Fatalf("production without a key: %v", err)
	}
}

func TestLoadMasterKeyDevelopmentGeneratesOnceAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "secrets")
	path := filepath.Join(dir, "master.key")
	key, generated, err := keys.LoadMasterKey(keys.MasterKeySource{DevFile: path})
	if err != nil || len(key) != 32 || generated != path {
		t.Fatalf("first load: %d bytes, generated %q, %v", len(key), generated, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
	if dinfo, err := os.Stat(dir); err != nil || dinfo.Mode().Perm() != 0o700 {
		t.Fatalf("key directory mode %v, %v; want 0700", dinfo.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the directory holds %d files, want only the key", len(entries))
	}
	again, generated, err := keys.LoadMasterKey(keys.MasterKeySource{DevFile: path})
	if err != nil || !bytes.Equal(again, key) || generated != "" {
		t.Fatalf("second load: equal=%v generated %q, %v", bytes.Equal(again, key), generated, err)
	}
	// The file holds what LoadMasterKey reads from GATEHOUSE_MASTER_KEY.
	data, _ := os.ReadFile(path)
	fromValue, _, err := keys.LoadMasterKey(keys.MasterKeySource{Value: string(data), Production: true})
	if err != nil || !bytes.Equal(fromValue, key) || strings.TrimSpace(string(data)) != keys.FormatMasterKey(key) {
		t.Fatalf("file content does not load as a value: %v", err)
	}
}

func TestLoadMasterKeyFormats(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*7 + 250) // includes bytes that differ between the base64 alphabets
	}
	for name, value := range map[string]string{
		"base64url":        keys.FormatMasterKey(key),
		"base64url padded": base64.URLEncoding.EncodeToString(key),
		"base64":           base64.StdEncoding.EncodeToString(key),
		"base64 unpadded":  base64.RawStdEncoding.EncodeToString(key),
		"hex":              hex.EncodeToString(key),
		"hex with newline": hex.EncodeToString(key) + "\n",
	} {
		got, generated, err := keys.LoadMasterKey(keys.MasterKeySource{Value: value, Production: true})
		if err != nil || !bytes.Equal(got, key) || generated != "" {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}

	file := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(file, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _, err := keys.LoadMasterKey(keys.MasterKeySource{File: file, Production: true})
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("from file: %v", err)
	}
	// The value wins over the file.
	other := bytes.Repeat([]byte{9}, 32)
	got, _, err = keys.LoadMasterKey(keys.MasterKeySource{Value: keys.FormatMasterKey(other), File: file, Production: true})
	if err != nil || !bytes.Equal(got, other) {
		t.Fatalf("value over file: %v", err)
	}
	_, _, err = keys.LoadMasterKey(keys.MasterKeySource{File: filepath.Join(t.TempDir(), "missing.key"), Production: true})
	if err == nil || !strings.Contains(err.Error(), "missing.key") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestLoadMasterKeyMalformedDoesNotEchoTheValue(t *testing.T) {
	for _, value := range []string{
		"hunter2-not-a-key",
		base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key")),    // too short
		hex.EncodeToString(bytes.Repeat([]byte("ab"), 20)),               // 40 bytes
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("k"), 31)), // 31 bytes
		"   ",
	} {
		_, _, err := keys.LoadMasterKey(keys.MasterKeySource{Value: value})
		if err == nil {
			t.Fatalf("%q accepted", value)
		}
		if strings.TrimSpace(value) != "" && strings.Contains(err.Error(), strings.TrimSpace(value)) {
			t.Fatalf("the error repeats the key: %v", err)
		}
		if !strings.Contains(err.Error(), "GATEHOUSE_MASTER_KEY") {
			t.Fatalf("the error does not say which setting is wrong: %v", err)
		}
	}
	file := filepath.Join(t.TempDir(), "bad.key")
	if err := os.WriteFile(file, []byte("hunter2-in-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := keys.LoadMasterKey(keys.MasterKeySource{File: file})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), file) {
		t.Fatalf("malformed file: %v", err)
	}
	// A malformed development file is an error, not silently replaced.
	_, _, err = keys.LoadMasterKey(keys.MasterKeySource{DevFile: file})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("malformed development file: %v", err)
	}
}

func TestStartRefusesAMalformedMasterKey(t *testing.T) {
	h := newHarness(t)
	for _, k := range [][]byte{nil, make([]byte, 31), make([]byte, 33)} {
		if _, err := h.start(k); err == nil || !strings.Contains(err.Error(), "must be 32") {
			t.Fatalf("Start with a %d-byte master key: %v", len(k), err)
		}
	}
}
