package identity

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
)

// Schema is the PostgreSQL schema the frontdoor owns.
const Schema = "frontdoor"

// Migrate applies the frontdoor's migrations (migrations/frontdoor) to the
// database of pool.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	sub, err := fs.Sub(migrations.FS, Schema)
	if err != nil {
		return fmt.Errorf("identity: find %s migrations: %w", Schema, err)
	}
	return pgstore.Migrate(ctx, pool, Schema, sub)
}

// Config tunes a [Store]. The zero value is ready to use.
type Config struct {
	// Argon2 are the parameters of new password hashes; the zero value
	// means [DefaultArgon2Params]. Stored hashes made with other
	// parameters still verify and are replaced at the next sign-in.
	Argon2 Argon2Params
	// MaxConcurrentHashes bounds the argon2id computations running at
	// once; zero means runtime.GOMAXPROCS(0).
	MaxConcurrentHashes int
	// Logger receives warnings (such as a failed rehash); nil discards
	// them. Nothing secret is ever logged.
	Logger *slog.Logger
}

// Store reads and writes the frontdoor's identity data in PostgreSQL schema
// [Schema]. Every method takes the environment the data belongs to; ids are
// never looked up across environments. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	hasher *PasswordHasher
	log    *slog.Logger
}

// NewStore returns a store on pool, whose database must be migrated (see
// [Migrate]).
func NewStore(pool *pgxpool.Pool, cfg Config) (*Store, error) {
	params := cfg.Argon2
	if params == (Argon2Params{}) {
		params = DefaultArgon2Params
	}
	hasher, err := NewPasswordHasher(params, cfg.MaxConcurrentHashes)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, hasher: hasher, log: log}, nil
}

// PasswordHasher returns the hasher the store uses for passwords.
func (s *Store) PasswordHasher() *PasswordHasher { return s.hasher }
