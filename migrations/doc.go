// Package migrations holds the SQL migrations of every service, one folder
// (and one PostgreSQL schema) per service, applied at start by goose.
package migrations
