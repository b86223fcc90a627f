package embednats

import (
	"errors"
	"log/slog"
)

// DefaultMaxPayload is the default largest message the server accepts:
// 8 MiB. Compiled workflow artifacts (.wasm) travel over NATS request-reply
// when they are uploaded and fetched, and they reach about 8 MB; the NATS
// default of 1 MiB would reject them. 8 MiB is also the largest size the
// server accepts without warning.
const DefaultMaxPayload int32 = 8 << 20

// DefaultServerName names the server when [Options.ServerName] is empty.
const DefaultServerName = "gatehouse"

// Options configures [Start].
type Options struct {
	// StoreDir is the JetStream storage directory. Required: streams such as
	// the runtime log stream survive restarts in it.
	StoreDir string
	// Host is the interface clients connect to. Empty means 127.0.0.1.
	Host string
	// Port is the client port. -1 picks a random free port (what tests
	// want); 0 means the NATS default port, 4222.
	Port int
	// MaxPayload is the largest message in bytes. 0 means
	// [DefaultMaxPayload].
	MaxPayload int32
	// MaxMemory and MaxStore cap JetStream memory and file storage in bytes.
	// 0 means the server's defaults (a share of the machine's memory and
	// disk).
	MaxMemory int64
	MaxStore  int64
	// ServerName identifies the server in logs and monitoring. Empty means
	// [DefaultServerName].
	ServerName string
	// Logger receives the server's own log lines and what this package
	// does. Nil means [slog.Default].
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.StoreDir == "" {
		return o, errors.New("embednats: Options.StoreDir (the JetStream directory) is required")
	}
	if o.Port < -1 || o.Port > 65535 {
		return o, errors.New("embednats: Options.Port must be -1 (random), 0 (4222) or a port number")
	}
	if o.MaxPayload < 0 {
		return o, errors.New("embednats: Options.MaxPayload must not be negative")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.ServerName == "" {
		o.ServerName = DefaultServerName
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
