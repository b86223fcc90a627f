package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// masterKeySize is the size of the master key in bytes (AES-256).
const masterKeySize = 32

// MasterKeySource says where the master key comes from.
type MasterKeySource struct {
	// Value is GATEHOUSE_MASTER_KEY: 32 bytes in base64 (standard or URL
	// alphabet, padded or not) or hex.
	Value string
	// File is a path to a file holding the same.
	File string
	// DevFile is where a key is generated, and read again later, in
	// development when neither Value nor File is set.
	DevFile string
	// Production refuses to run without Value or File.
	Production bool
}

// LoadMasterKey returns the master key. Value wins over File. In production
// one of them is required. In development without either, the key is read
// from DevFile, or generated there (mode 0600, its directory 0700) on first
// use, in which case generated is DevFile's path for the caller to log.
//
// Errors never repeat the key material.
func LoadMasterKey(src MasterKeySource) (key []byte, generated string, err error) {
	switch {
	case src.Value != "":
		key, err := parseMasterKey(src.Value)
		if err != nil {
			return nil, "", fmt.Errorf("keys: GATEHOUSE_MASTER_KEY: %w", err)
		}
		return key, "", nil
	case src.File != "":
		key, err := readMasterKeyFile(src.File)
		return key, "", err
	case src.Production:
		return nil, "", errors.New("keys: a master key is required with -env=production: set GATEHOUSE_MASTER_KEY or -master-key-file")
	case src.DevFile == "":
		return nil, "", errors.New("keys: no master key: set GATEHOUSE_MASTER_KEY or -master-key-file")
	}
	key, err = readMasterKeyFile(src.DevFile)
	if err == nil {
		return key, "", nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	key, err = generateMasterKeyFile(src.DevFile)
	if errors.Is(err, fs.ErrExist) {
		// Another process generated it first: use theirs.
		key, err = readMasterKeyFile(src.DevFile)
		return key, "", err
	}
	if err != nil {
		return nil, "", err
	}
	return key, src.DevFile, nil
}

// parseMasterKey reads a master key written in base64 (standard or URL
// alphabet, padded or not) or hex. The error does not repeat s.
func parseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the master key is empty")
	}
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString,
		base64.RawURLEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.StdEncoding.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == masterKeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("the master key (%d characters) is not %d bytes in base64 or hex; generate one with: openssl rand -base64 32",
		len(s), masterKeySize)
}

// FormatMasterKey writes key the way LoadMasterKey reads it (unpadded
// base64url).
func FormatMasterKey(key []byte) string { return base64.RawURLEncoding.EncodeToString(key) }

// kekID names a master key without revealing it: the first 8 bytes of its
// SHA-256, in hex.
func kekID(kek []byte) string {
	sum := sha256.Sum256(kek)
	return hex.EncodeToString(sum[:8])
}

func readMasterKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: read master key file: %w", err)
	}
	key, err := parseMasterKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("keys: master key file %s: %w", path, err)
	}
	return key, nil
}

// generateMasterKeyFile writes a new key to path, never over an existing
// file (fs.ErrExist then). The file appears complete or not at all.
func generateMasterKeyFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: create directory for the development master key: %w", err)
	}
	key := make([]byte, masterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("keys: generate master key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return nil, fmt.Errorf("keys: write development master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(FormatMasterKey(key) + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("keys: write development master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("keys: write development master key to %s: %w", path, err)
	}
	return key, nil
}
