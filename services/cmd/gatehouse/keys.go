package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/config"
	"github.com/gatehouse-id/gatehouse/pkg/devpg"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/services/keys"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

const keysUsage = `Usage: gatehouse keys rotate-master -new-key-file FILE [flags]

rotate-master re-wraps every data key with a new master key, in one
transaction, without re-encrypting any data. The current master key comes from
GATEHOUSE_MASTER_KEY or -master-key-file (in development: the generated key
under -data-dir). The new key is read from -new-key-file; if that file does not
exist, a new key is generated into it (mode 0600).

Stop the keys service first, then start it with the new key.
`

func keysCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "rotate-master" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, keysUsage)
			return 0
		}
		fmt.Fprint(stderr, keysUsage)
		return 2
	}
	def := platform.DefaultConfig()
	fs := flag.NewFlagSet("gatehouse keys rotate-master", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", "", "PostgreSQL URL; empty uses the development PostgreSQL under -data-dir")
	dataDir := fs.String("data-dir", def.DataDir, "data directory of the development install")
	oldFile := fs.String("master-key-file", "", "file holding the current master key (or GATEHOUSE_MASTER_KEY)")
	newFile := fs.String("new-key-file", "", "file holding the new master key; generated if it does not exist (required)")
	if err := config.Parse(fs, args[1:], nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "gatehouse keys rotate-master: %v\n", err)
		return 2
	}
	if *newFile == "" {
		fmt.Fprint(stderr, "gatehouse keys rotate-master: -new-key-file is required\n\n"+keysUsage)
		return 2
	}
	if err := rotateMaster(rotation{dbURL: *dbURL, dataDir: *dataDir, oldValue: os.Getenv("GATEHOUSE_MASTER_KEY"),
		oldFile: *oldFile, newFile: *newFile}, stdout); err != nil {
		fmt.Fprintf(stderr, "gatehouse keys rotate-master: %v\n", err)
		return 1
	}
	return 0
}

type rotation struct {
	dbURL, dataDir             string
	oldValue, oldFile, newFile string
}

func rotateMaster(r rotation, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	devKey := filepath.Join(r.dataDir, "master.key")
	src := keys.MasterKeySource{Value: r.oldValue, File: r.oldFile, Production: true}
	dev := r.oldValue == "" && r.oldFile == ""
	if dev {
		if _, err := os.Stat(devKey); err != nil {
			return fmt.Errorf("no current master key: set GATEHOUSE_MASTER_KEY or -master-key-file (no development key at %s: %w)", devKey, err)
		}
		src.File = devKey
	}
	oldKey, _, err := keys.LoadMasterKey(src)
	if err != nil {
		return fmt.Errorf("current master key: %w", err)
	}
	newKey, generated, err := loadOrGenerate(r.newFile)
	if err != nil {
		return err
	}

	url := r.dbURL
	if url == "" {
		srv, err := devpg.Start(ctx, devpg.Options{DataDir: filepath.Join(r.dataDir, "postgres"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return fmt.Errorf("development PostgreSQL (is gatehouse serve still running?): %w", err)
		}
		defer func() { _ = srv.Stop(context.WithoutCancel(ctx)) }()
		url = srv.URL()
	}
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := keys.RotateMaster(ctx, pool, oldKey, newKey)
	if err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(out, "generated a new master key in %s\n", r.newFile)
	}
	fmt.Fprintf(out, "re-wrapped %d data keys with the new master key\n", n)
	if dev {
		if err := writeKeyFile(devKey, newKey); err != nil {
			return fmt.Errorf("the data keys are re-wrapped, but %s could not be replaced: copy %s over it (%w)", devKey, r.newFile, err)
		}
		fmt.Fprintf(out, "the development key %s now holds the new key\n", devKey)
		return nil
	}
	fmt.Fprintln(out, "start the keys service with the new key (GATEHOUSE_MASTER_KEY or -master-key-file); the old key no longer opens anything")
	return nil
}

// loadOrGenerate reads the master key in file, or writes a new one there.
func loadOrGenerate(file string) ([]byte, bool, error) {
	if _, err := os.Stat(file); err == nil {
		k, _, err := keys.LoadMasterKey(keys.MasterKeySource{File: file, Production: true})
		if err != nil {
			return nil, false, fmt.Errorf("new master key: %w", err)
		}
		return k, false, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, false, fmt.Errorf("new master key: %w", err)
	}
	if err := writeKeyFile(file, k); err != nil {
		return nil, false, fmt.Errorf("write the new master key: %w", err)
	}
	return k, true, nil
}

// writeKeyFile replaces file with key durably (temporary file, fsync, rename,
// fsync of the directory): the database commit that follows must never
// outlive the only copy of the key that opens it.
func writeKeyFile(file string, key []byte) error {
	dir := filepath.Dir(file)
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(keys.FormatMasterKey(key) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
