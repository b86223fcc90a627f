// Package config reads command-line configuration: flags first, then
// GATEHOUSE_* environment variables for every flag not given on the command
// line (flag "nats-url" ↔ GATEHOUSE_NATS_URL).
package config
