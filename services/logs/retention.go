package logs

import (
	"context"
	"time"
)

// retentionBatch is the most records one DELETE removes, so that deleting a
// large backlog never holds locks or a transaction for long.
const retentionBatch = 5000

// retain deletes old records at start and every RetentionInterval until Stop.
func (s *Service) retain() {
	t := time.NewTicker(s.cfg.RetentionInterval)
	defer t.Stop()
	for {
		s.deleteExpired(s.running)
		select {
		case <-s.running.Done():
			return
		case <-t.C:
		}
	}
}

// deleteExpired deletes records older than Retention, batch after batch.
func (s *Service) deleteExpired(ctx context.Context) {
	cutoff := time.Now().Add(-s.cfg.Retention)
	var total int64
	for ctx.Err() == nil {
		n, err := s.store.deleteOlder(ctx, cutoff, retentionBatch)
		total += n
		s.m.retentionDeleted.Add(float64(n))
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("could not delete old log records; trying again at the next interval", "older_than", cutoff, "err", err)
			}
			break
		}
		if n < retentionBatch {
			break
		}
	}
	if total > 0 {
		s.log.Info("deleted old log records", "records", total, "older_than", cutoff)
	}
}
