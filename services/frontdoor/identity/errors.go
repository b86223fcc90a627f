package identity

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// Errors matched with errors.Is. Store methods wrap them with a message
// naming the thing and the reason.
var (
	// ErrNotFound: the user, organization, membership, application or
	// environment does not exist (in that environment).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: the thing would clash with an existing one, such
	// as a second user with the same email in an environment.
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalid: an argument is malformed (an email, an environment
	// name, a redirect URI, an application type…).
	ErrInvalid = errors.New("invalid argument")
	// ErrInvalidCredentials is returned as is, never wrapped, when an
	// email and password or a client id and secret do not match, whatever
	// the reason: unknown email, no password set, wrong password, unknown
	// client, public client or wrong secret all look the same to the
	// caller.
	ErrInvalidCredentials = errors.New("invalid credentials")
)

// PostgreSQL error codes mapped to the errors above.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// pgCode returns the SQLSTATE of err and the constraint it names, if err
// comes from PostgreSQL.
func pgCode(err error) (code, constraint string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, pgErr.ConstraintName
	}
	return "", ""
}
