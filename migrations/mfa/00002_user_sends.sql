-- Codes sent are counted per user as well as per destination, against SMS
-- pumping (one user enrolling many numbers, or deleting and re-enrolling
-- one). Send records from before this migration have no user and count
-- only for their destination.
-- Abandoned unverified factors are pruned by age.
-- +goose Up
ALTER TABLE sends ADD COLUMN user_id text NOT NULL DEFAULT '';
ALTER TABLE sends ALTER COLUMN user_id DROP DEFAULT;
CREATE INDEX sends_user ON sends (env, user_id, sent_at);
CREATE INDEX factors_unverified ON factors (created_at) WHERE NOT verified;

-- +goose Down
DROP INDEX factors_unverified;
DROP INDEX sends_user;
ALTER TABLE sends DROP COLUMN user_id;
