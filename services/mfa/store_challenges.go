package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// challengeRow is a challenges row.
type challengeRow struct {
	id, env, userID, factorID string
	typ                       api.FactorType
	codeHash                  []byte
	attempts                  int
	createdAt                 time.Time
	expiresAt                 *time.Time
	verifiedAt                *time.Time
}

func (c *challengeRow) public() api.Challenge {
	out := api.Challenge{ID: c.id, FactorID: c.factorID, Type: c.typ, CreatedAt: c.createdAt.UTC()}
	if c.expiresAt != nil {
		t := c.expiresAt.UTC()
		out.ExpiresAt = &t
	}
	return out
}

const challengeColumns = `id, env, user_id, factor_id, type, code_hash, attempts, created_at, expires_at, verified_at`

func scanChallenge(row pgx.Row) (*challengeRow, error) {
	var c challengeRow
	var typ string
	if err := row.Scan(&c.id, &c.env, &c.userID, &c.factorID, &typ, &c.codeHash, &c.attempts, &c.createdAt,
		&c.expiresAt, &c.verifiedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	c.typ = api.FactorType(typ)
	return &c, nil
}

func (s *pgStore) insertChallenge(ctx context.Context, c *challengeRow) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO mfa.challenges (id, env, user_id, factor_id, type, code_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.id, c.env, c.userID, c.factorID, string(c.typ), c.codeHash, c.createdAt, c.expiresAt)
	if err != nil {
		return fmt.Errorf("store challenge %s: %w", c.id, err)
	}
	return nil
}

func (s *pgStore) deleteChallenge(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM mfa.challenges WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete challenge %s: %w", id, err)
	}
	return nil
}

// challenge returns a challenge of a user and its factor, or nils.
func (s *pgStore) challenge(ctx context.Context, env, userID, id string) (*challengeRow, *factorRow, error) {
	c, err := scanChallenge(s.pool.QueryRow(ctx, `SELECT `+challengeColumns+` FROM mfa.challenges
		WHERE id = $1 AND env = $2 AND user_id = $3`, id, env, userID))
	if err != nil || c == nil {
		if err != nil {
			err = fmt.Errorf("read challenge %s: %w", id, err)
		}
		return nil, nil, err
	}
	f, err := s.factor(ctx, env, userID, c.factorID)
	if err != nil || f == nil {
		return nil, nil, err
	}
	return c, f, nil
}

// reserveSend marks a code sent to factor id at now unless one was sent
// less than cooldown ago; it returns false then, and otherwise the
// previous send time (for restoreSend).
func (s *pgStore) reserveSend(ctx context.Context, id string, now time.Time, cooldown time.Duration) (bool, *time.Time, error) {
	var prev *time.Time
	err := s.pool.QueryRow(ctx, `UPDATE mfa.factors n SET last_sent_at = $2
		FROM mfa.factors o WHERE n.id = $1 AND o.id = n.id AND (n.last_sent_at IS NULL OR n.last_sent_at <= $3)
		RETURNING o.last_sent_at`, id, now, now.Add(-cooldown)).Scan(&prev)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("reserve a send for factor %s: %w", id, err)
	}
	return true, prev, nil
}

// restoreSend undoes reserveSend after a failed delivery.
func (s *pgStore) restoreSend(ctx context.Context, id string, prev *time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE mfa.factors SET last_sent_at = $2 WHERE id = $1`, id, prev); err != nil {
		return fmt.Errorf("restore the send time of factor %s: %w", id, err)
	}
	return nil
}

// sendLimit is at most limit sends since a time.
type sendLimit struct {
	since time.Time
	limit int
}

// sendVerdict is what recordSend decided.
type sendVerdict int

const (
	sendAllowed            sendVerdict = iota // counted: the code may go
	sendDestinationLimited                    // the destination had its limit
	sendUserLimited                           // the user had their limit
)

// recordSend counts a send of user's code to destination unless the
// destination had dest.limit sends since dest.since, or the user (across
// all their factors, in env) had user.limit since user.since. Both are
// counted in one transaction, under the user's lock (lockUser) and then
// the destination's, so concurrent sends cannot pass either limit.
func (s *pgStore) recordSend(ctx context.Context, env, userID string, destination []byte, now time.Time, dest, user sendLimit) (sendVerdict, error) {
	verdict := sendAllowed
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		verdict = sendAllowed
		// Always the user's lock first, then the destination's: one order
		// for every transaction taking both, so none deadlock.
		if err := lockUser(ctx, tx, env, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('mfa.sends:' || $1 || ':' || encode($2, 'hex')))`, env, destination); err != nil {
			return err
		}
		var toDest, toUser int
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM mfa.sends WHERE env = $1 AND destination = $2 AND sent_at > $3),
			(SELECT count(*) FROM mfa.sends WHERE env = $1 AND user_id = $4 AND sent_at > $5)`,
			env, destination, dest.since, userID, user.since).Scan(&toDest, &toUser); err != nil {
			return err
		}
		switch {
		case toDest >= dest.limit:
			verdict = sendDestinationLimited
			return nil
		case toUser >= user.limit:
			verdict = sendUserLimited
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO mfa.sends (env, user_id, destination, sent_at) VALUES ($1, $2, $3, $4)`,
			env, userID, destination, now)
		return err
	})
	if err != nil {
		return sendAllowed, fmt.Errorf("count the codes sent to user %s and to their destination: %w", userID, err)
	}
	return verdict, nil
}

// verifyResult is what verify decided.
type verifyResult struct {
	valid        bool
	challenge    *challengeRow
	factor       *factorRow // as it is after the verification
	attemptsLeft int
	firstUse     bool // the factor became verified
	lockedNow    bool // the challenge reached MaxChallengeAttempts
	userLocked   bool // the user reached MaxConsecutiveFailures
}

// checkFunc decides whether a code is right for the locked challenge and
// factor; for TOTP it returns the time step matched.
type checkFunc func(c *challengeRow, f *factorRow) (ok bool, step *int64)

// verify checks a challenge in one transaction, under the user's lock
// (lockUser): its state, the user's lockout, then check; it records the
// success or the failure. Two verifications of one user never overlap, so
// a challenge is verified once, a TOTP time step is accepted once, and
// neither counter can be raced past its limit.
func (s *pgStore) verify(ctx context.Context, env, userID, id string, now time.Time, check checkFunc) (verifyResult, error) {
	var res verifyResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = verifyResult{}
		if err := lockUser(ctx, tx, env, userID); err != nil {
			return err
		}
		c, err := scanChallenge(tx.QueryRow(ctx, `SELECT `+challengeColumns+` FROM mfa.challenges
			WHERE id = $1 AND env = $2 AND user_id = $3 FOR UPDATE`, id, env, userID))
		if err != nil {
			return fmt.Errorf("read challenge %s: %w", id, err)
		}
		if c == nil {
			return notFound("challenge %s of user %s does not exist", id, userID)
		}
		res.challenge = c
		switch {
		case c.verifiedAt != nil:
			return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonPreviouslyVerified,
				"challenge %s was already verified: create a new challenge", id)
		case c.expiresAt != nil && !now.Before(*c.expiresAt):
			return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonExpired,
				"challenge %s expired at %s: create a new challenge", id, c.expiresAt.UTC().Format(time.RFC3339))
		case c.attempts >= api.MaxChallengeAttempts:
			return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonTooManyAttempts,
				"challenge %s had %d wrong codes: create a new challenge", id, c.attempts)
		}
		f, err := scanFactor(tx.QueryRow(ctx, `SELECT `+factorColumns+` FROM mfa.factors f WHERE f.id = $1 FOR UPDATE`, c.factorID))
		if err != nil {
			return fmt.Errorf("read factor %s: %w", c.factorID, err)
		}
		if f == nil {
			return notFound("the factor of challenge %s was deleted", id)
		}
		var lockedAt *time.Time
		err = tx.QueryRow(ctx, `SELECT locked_at FROM mfa.user_failures WHERE env = $1 AND user_id = $2 FOR UPDATE`, env, userID).Scan(&lockedAt)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read the lock of %s: %w", userID, err)
		}
		if lockedAt != nil {
			return lockedError(userID)
		}
		ok, step := check(c, f)
		if !ok {
			c.attempts++
			if _, err := tx.Exec(ctx, `UPDATE mfa.challenges SET attempts = $2 WHERE id = $1`, id, c.attempts); err != nil {
				return fmt.Errorf("count a wrong code for challenge %s: %w", id, err)
			}
			res.attemptsLeft = api.MaxChallengeAttempts - c.attempts
			res.lockedNow = res.attemptsLeft == 0
			res.userLocked, err = failure(ctx, tx, env, userID, now)
			res.factor = f
			return err
		}
		res.valid = true
		res.firstUse = !f.verified
		c.verifiedAt = &now
		if _, err := tx.Exec(ctx, `UPDATE mfa.challenges SET verified_at = $2 WHERE id = $1`, id, now); err != nil {
			return fmt.Errorf("mark challenge %s verified: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE mfa.factors SET verified = true, last_used_at = $2, updated_at = $2,
			last_step = COALESCE($3, last_step) WHERE id = $1`, f.id, now, step); err != nil {
			return fmt.Errorf("mark factor %s used: %w", f.id, err)
		}
		f.verified, f.lastUsedAt, f.updatedAt, f.lastStep = true, &now, now, step
		res.factor = f
		return clearFailures(ctx, tx, env, userID)
	})
	return res, err
}

// failure counts a wrong code of a user and locks them at
// MaxConsecutiveFailures; it reports whether this failure locked them.
func failure(ctx context.Context, tx pgx.Tx, env, userID string, now time.Time) (bool, error) {
	var n int
	var lockedAt *time.Time
	err := tx.QueryRow(ctx, `INSERT INTO mfa.user_failures AS u (env, user_id, failures) VALUES ($1, $2, 1)
		ON CONFLICT (env, user_id) DO UPDATE SET failures = u.failures + 1
		RETURNING u.failures, u.locked_at`, env, userID).Scan(&n, &lockedAt)
	if err != nil {
		return false, fmt.Errorf("count a wrong code of %s: %w", userID, err)
	}
	if n < api.MaxConsecutiveFailures || lockedAt != nil {
		return false, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE mfa.user_failures SET locked_at = $3 WHERE env = $1 AND user_id = $2`, env, userID, now); err != nil {
		return false, fmt.Errorf("lock the factors of %s: %w", userID, err)
	}
	return true, nil
}

// clearFailures ends a run of wrong codes after a right one.
func clearFailures(ctx context.Context, tx pgx.Tx, env, userID string) error {
	if _, err := tx.Exec(ctx, `UPDATE mfa.user_failures SET failures = 0 WHERE env = $1 AND user_id = $2 AND failures <> 0`, env, userID); err != nil {
		return fmt.Errorf("clear the wrong codes of %s: %w", userID, err)
	}
	return nil
}

func lockedError(userID string) error {
	return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonFactorLocked,
		"the factors of user %s are locked after %d wrong codes in a row: an administrator must reset them",
		userID, api.MaxConsecutiveFailures)
}
