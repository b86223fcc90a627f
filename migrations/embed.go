// Package migrations holds the SQL migrations of every service, one folder
// (and one PostgreSQL schema) per service, applied at start by goose.
package migrations

import "embed"

// FS holds <service>/*.sql.
//
//go:embed */*.sql
var FS embed.FS
