// Package logs is the logs service: it stores the runtime, build and sync
// records that workers and the deployments service publish, answers queries
// over them and deletes them when they are old.
//
// # Ingestion
//
// Producers publish records with api.Publisher to the JetStream stream
// api.Stream, on api.RecordSubject(kind, env), with the record id as the
// Nats-Msg-Id. The service reads the stream through the durable pull
// consumer "gatehouse-logs-writer" (explicit acks, 30s ack wait, a bounded
// number of unacknowledged messages) and writes PostgreSQL in batches of up
// to Config.BatchSize records, or what arrived within Config.BatchWait: one
// INSERT … SELECT FROM unnest(…) ON CONFLICT (id) DO NOTHING per batch, two
// batches at a time while the next one is fetched. A message is
// acknowledged only once the statement holding its record has committed,
// and a record already stored is skipped, so redeliveries and republished
// records are stored exactly once. While the service or PostgreSQL is down
// the stream keeps the records and nothing is lost: on a database error the
// batch in hand is retried with backoff, its messages kept in progress,
// until it is written. Stop writes and acknowledges the batches in hand.
//
// A message that can never be stored — invalid JSON, an unknown kind, a
// subject that does not match the record's kind and environment, an invalid
// environment name or outcome, a missing or oversized id — is terminated (it
// is never redelivered) and counted in gatehouse_logs_rejected_total{reason};
// it never blocks the records behind it. NUL characters, which PostgreSQL
// cannot store, are replaced by U+FFFD. Should PostgreSQL still refuse a
// batch's data, the batch is written record by record and the records it
// refuses are terminated (reason rejected_by_database).
//
// # Queries
//
// api.SubjectQuery answers api.QueryRequest with full api.Record values,
// newest first unless Ascending, one page at a time. NextCursor is an opaque
// keyset cursor over (time, id): whatever is ingested meanwhile, paging
// neither repeats nor skips a record stored before it started.
//
// # Live tail
//
// There is no tail endpoint: every record published to the stream is also
// an ordinary NATS message, so a live tail of an environment is a core
// subscription to api.TailSubject(env) (records of every kind) or to
// api.RecordSubject(kind, env). A tail sees records as they are published,
// before they are stored, and misses those published while it was not
// subscribed; use the query endpoint for history.
//
// # Retention
//
// Records whose time is older than Config.Retention are deleted every
// Config.RetentionInterval, and once at start, in bounded batches so that a
// large backlog never holds long locks.
//
// # Metrics
//
// On Config.Registerer: gatehouse_logs_ingested_total{kind},
// gatehouse_logs_duplicates_total, gatehouse_logs_rejected_total{reason},
// gatehouse_logs_consumer_pending, gatehouse_logs_write_seconds,
// gatehouse_logs_write_errors_total and
// gatehouse_logs_retention_deleted_total.
package logs
