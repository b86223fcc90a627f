package logs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// writers is how many batches are written at once: while one waits for
// PostgreSQL, the other is encoded and sent. Two roughly double the
// throughput of one; more add nothing on a small machine.
const writers = 2

// consumerName is the durable consumer the service reads the stream with.
const consumerName = "gatehouse-logs-writer"

// ackWait is how long the stream waits for a message's acknowledgement
// before it redelivers it. A batch retried for longer is kept in progress.
const ackWait = 30 * time.Second

// writeTimeout bounds one attempt at writing a batch.
const writeTimeout = 15 * time.Second

// fetchMaxBytes bounds the memory of one batch. It must exceed the largest
// message the stream can hold: a message larger than a fetch's byte budget
// is never delivered. NATS caps a message at 64 MiB (1 MiB by default) and
// api.MaxRecordBytes caps a record.
const fetchMaxBytes = 64 << 20

// Backoff between attempts after a failure to fetch or to write.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

func consumerConfig(batch int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       consumerName,
		Description:   "The logs service, storing records in PostgreSQL",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		// Batches being written, one waiting, one being fetched, and slack.
		MaxAckPending: max((writers+3)*batch, 1000),
	}
}

// ensureConsumer creates the stream and the consumer if they are missing
// (and updates the consumer's configuration if it changed).
func (s *Service) ensureConsumer(ctx context.Context) error {
	stream, err := api.EnsureStream(ctx, s.js, s.cfg.Replicas)
	if err != nil {
		return err
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, consumerConfig(s.cfg.BatchSize))
	if err != nil {
		return fmt.Errorf("create consumer %s on stream %s: %w", consumerName, api.Stream, err)
	}
	s.consMu.Lock()
	s.cons = cons
	s.consMu.Unlock()
	return nil
}

func (s *Service) consumer() jetstream.Consumer {
	s.consMu.Lock()
	defer s.consMu.Unlock()
	return s.cons
}

// consume fetches and stores batches until Stop. Fetching and decoding the
// next batch overlaps with writing the current ones; at most one decoded
// batch waits for a writer, in handOver, which keeps it in progress.
func (s *Service) consume() {
	defer s.flushAcks()
	batches := make(chan []*entry) // unbuffered: a waiting batch stays in handOver's care
	go s.fetchBatches(batches)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for entries := range batches {
				if s.write(entries) {
					s.ack(entries)
				}
			}
		})
	}
	wg.Wait()
}

// fetchBatches fetches and decodes batches for the writers until Stop, then
// closes out.
func (s *Service) fetchBatches(out chan<- []*entry) {
	defer close(out)
	backoff := minBackoff
	for s.running.Err() == nil {
		msgs, err := s.fetch()
		if entries := s.decode(msgs); len(entries) > 0 {
			s.handOver(out, entries)
		}
		if err == nil {
			backoff = minBackoff
			continue
		}
		s.log.Warn("could not fetch log records from the stream; retrying", "stream", api.Stream,
			"consumer", consumerName, "in", backoff, "err", err)
		if !sleep(s.running, backoff) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
		ctx, cancel := context.WithTimeout(s.running, 5*time.Second)
		if err := s.ensureConsumer(ctx); err != nil {
			s.log.Debug("log stream consumer still unavailable", "err", err)
		}
		cancel()
	}
}

// handOver passes a batch to a writer. While both are busy (for as
// long as PostgreSQL is unreachable) the batch's messages are kept in
// progress so the stream does not redeliver them.
func (s *Service) handOver(out chan<- []*entry, entries []*entry) {
	t := time.NewTicker(ackWait / 3)
	defer t.Stop()
	for {
		select {
		case out <- entries:
			return
		case <-t.C:
			inProgress(entries)
		}
	}
}

// fetch waits up to BatchWait for up to BatchSize messages. The fetch is
// never cut short: messages the stream sent are all taken in hand.
func (s *Service) fetch() ([]jetstream.Msg, error) {
	batch, err := s.consumer().Fetch(s.cfg.BatchSize,
		jetstream.FetchMaxWait(s.cfg.BatchWait), jetstream.FetchMaxBytes(fetchMaxBytes))
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	msgs := make([]jetstream.Msg, 0, 16)
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := batch.Error(); err != nil {
		return msgs, fmt.Errorf("fetch: %w", err)
	}
	return msgs, nil
}

// entry is one record to store and the messages that carried it (more than
// one when a record came twice in a batch).
type entry struct {
	row      row
	msgs     []jetstream.Msg
	rejected bool // PostgreSQL refused it; its messages are terminated
}

// decode turns a batch of messages into entries to store, one per record
// id; it terminates the messages that can never be stored.
func (s *Service) decode(msgs []jetstream.Msg) []*entry {
	entries := make([]*entry, 0, len(msgs))
	byID := make(map[string]*entry, len(msgs))
	for _, m := range msgs {
		var published time.Time
		if md, err := m.Metadata(); err == nil {
			published = md.Timestamp
		}
		recs, rejected, fatal := decodeMessage(m.Subject(), m.Data(), published)
		if fatal != nil {
			s.terminate(m, fatal)
			continue
		}
		// Bad records packed with good ones are counted and skipped; the
		// message is acknowledged with the good ones.
		for _, rej := range rejected {
			s.reject(m, rej)
		}
		for _, rec := range recs {
			if e, ok := byID[rec.ID]; ok {
				e.msgs = append(e.msgs, m)
				s.m.duplicates.Inc()
				continue
			}
			r, err := newRow(rec)
			if err != nil {
				s.reject(m, reject(rejectInvalidJSON, "%v", err))
				continue
			}
			e := &entry{row: r, msgs: []jetstream.Msg{m}}
			entries = append(entries, e)
			byID[rec.ID] = e
		}
	}
	// Concurrent batches that share ids (a record published twice) then
	// take their row locks in the same order and cannot deadlock.
	slices.SortFunc(entries, func(a, b *entry) int { return strings.Compare(a.row.rec.ID, b.row.rec.ID) })
	return entries
}

// ack acknowledges, once each, the messages of written entries (a message
// may carry many records).
func (s *Service) ack(entries []*entry) {
	for _, m := range messagesOf(entries) {
		if err := m.Ack(); err != nil {
			s.log.Debug("could not acknowledge stored log records; they will be redelivered and skipped", "subject", m.Subject(), "err", err)
		}
	}
}

func inProgress(entries []*entry) {
	for _, m := range messagesOf(entries) {
		_ = m.InProgress()
	}
}

// messagesOf lists the distinct messages that carried entries.
func messagesOf(entries []*entry) []jetstream.Msg {
	seen := make(map[jetstream.Msg]bool, len(entries))
	var out []jetstream.Msg
	for _, e := range entries {
		for _, m := range e.msgs {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// write stores entries, retrying with backoff until it succeeds, keeping the
// messages in progress meanwhile. Entries PostgreSQL refuses outright are
// terminated and removed from entries. When Stop gives up waiting, the
// messages are handed back to the stream and write returns false.
func (s *Service) write(entries []*entry) bool {
	backoff := minBackoff
	touched := time.Now()
	for {
		err := s.tryWrite(entries)
		if err == nil {
			return true
		}
		s.m.writeErrors.Inc()
		s.log.Warn("could not write log records to PostgreSQL; retrying", "records", len(entries), "in", backoff, "err", err)
		if !sleep(s.abort, backoff) {
			for _, m := range messagesOf(entries) {
				_ = m.Nak()
			}
			s.log.Warn("stopped before log records could be written; the stream redelivers them", "records", len(entries))
			return false
		}
		backoff = min(2*backoff, maxBackoff)
		if time.Since(touched) > ackWait/3 {
			inProgress(entries)
			touched = time.Now()
		}
	}
}

// tryWrite makes one attempt at storing entries in one statement. If
// PostgreSQL refuses the data, it stores them one by one instead and
// terminates those it refuses.
func (s *Service) tryWrite(entries []*entry) error {
	rows := make([]row, 0, len(entries))
	todo := make([]*entry, 0, len(entries))
	for _, e := range entries {
		if !e.rejected {
			rows, todo = append(rows, e.row), append(todo, e)
		}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(s.abort, writeTimeout)
	stored, err := s.store.insert(ctx, rows)
	cancel()
	if err == nil {
		s.m.writeSeconds.Observe(time.Since(start).Seconds())
		s.countStored(stored, len(rows))
		return nil
	}
	if !isDataError(err) {
		return err
	}
	s.log.Warn("PostgreSQL refused a batch of log records; writing them one by one", "records", len(rows), "err", err)
	for i, e := range todo {
		ctx, cancel := context.WithTimeout(s.abort, writeTimeout)
		stored, err := s.store.insert(ctx, rows[i:i+1])
		cancel()
		switch {
		case err == nil:
			s.countStored(stored, 1)
		case isDataError(err):
			// Counted and skipped; its message is acknowledged with the
			// records it shares it with (none are redelivered).
			for _, m := range e.msgs[:1] {
				s.reject(m, reject(rejectDatabase, "record %q: %v", e.row.rec.ID, err))
			}
			e.rejected = true
		default:
			return err // the rows stored so far are skipped on the next attempt
		}
	}
	return nil
}

func (s *Service) countStored(stored map[api.Kind]int, total int) {
	n := 0
	for kind, c := range stored {
		s.m.ingested.WithLabelValues(string(kind)).Add(float64(c))
		n += c
	}
	if total > n {
		s.m.duplicates.Add(float64(total - n))
	}
}

// reject counts a record that can never be stored; its message is still
// acknowledged (it may carry good records too).
func (s *Service) reject(m jetstream.Msg, rej *rejection) {
	s.m.rejected.WithLabelValues(rej.reason).Inc()
	s.log.Warn("rejected a log record", "subject", m.Subject(), "reason", rej.reason, "detail", rej.detail)
}

// terminate tells the stream never to redeliver m, and counts it.
func (s *Service) terminate(m jetstream.Msg, rej *rejection) {
	s.m.rejected.WithLabelValues(rej.reason).Inc()
	s.log.Warn("rejected a log message", "subject", m.Subject(), "reason", rej.reason, "detail", rej.detail)
	if err := m.TermWithReason(rej.reason); err != nil {
		s.log.Debug("could not terminate a rejected log message", "err", err)
	}
}

// flushAcks makes sure the acknowledgements sent reach the server before the
// service stops.
func (s *Service) flushAcks() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.nc.FlushWithContext(ctx); err != nil {
		s.log.Debug("could not flush acknowledgements", "err", err)
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
