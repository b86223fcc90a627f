package migrations

import "embed"

// FS holds <service>/*.sql.
//
//go:embed */*.sql
var FS embed.FS
