// Package pgstore opens PostgreSQL connection pools and applies each
// service's SQL migrations into the service's own schema.
//
// # Migrations
//
// [Migrate] applies goose migrations: a directory of NNNNN_name.sql files,
// each with a "-- +goose Up" section (and optionally "-- +goose Down"). Every
// service has its own PostgreSQL schema and its own goose version table,
// <schema>.goose_db_version, so services migrate independently.
//
// Migrations use unqualified names: they run with search_path set to the
// service's schema only, so CREATE TABLE workflows creates
// <schema>.workflows. Built-in functions and types (pg_catalog) stay
// visible; objects in public do not. Open the service's runtime pool with
// [OpenSchema] so its queries resolve the same way.
//
// Migrate holds a PostgreSQL advisory lock keyed by the schema while it runs,
// so several processes starting at once apply each migration exactly once.
package pgstore
