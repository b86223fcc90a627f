// Package envname validates environment names. Every row and every NATS
// subject carries one, so a name must be a single subject token.
package envname
