package pgstore

import (
	"fmt"
	"regexp"
	"strings"
)

var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// checkSchema accepts lower-case identifiers that need no quoting, so the
// schema name can be used verbatim in SQL and in search_path.
func checkSchema(schema string) error {
	if !schemaPattern.MatchString(schema) {
		return fmt.Errorf("pgstore: invalid schema name %q: use lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters", schema)
	}
	if strings.HasPrefix(schema, "pg_") || schema == "information_schema" {
		return fmt.Errorf("pgstore: schema name %q is reserved by PostgreSQL", schema)
	}
	return nil
}
