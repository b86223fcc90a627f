// Package api is the logs service's public contract: the JetStream stream
// that carries log records, the record types, the query request and the
// Publisher that workers and the deployments service write through.
//
// Producers publish to RecordSubject(kind, env) on stream Stream with the
// record id as the Nats-Msg-Id, so a retried publish is stored once; the
// logs service consumes the stream through a durable consumer and writes
// PostgreSQL, idempotently by record id. While the logs service is down the
// stream keeps the records; nothing is lost. Live tail is a core NATS
// subscription to TailSubject(env): every published record also reaches it.
package api
