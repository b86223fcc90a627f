-- Revoking every token of a user (a password reset, a deleted user) looks
-- families and access tokens up by subject.
-- +goose Up
CREATE INDEX refresh_families_subject ON refresh_families (env, subject) WHERE revoked_at IS NULL;
CREATE INDEX access_tokens_subject ON access_tokens (env, subject) WHERE revoked_at IS NULL;

-- +goose Down
DROP INDEX access_tokens_subject;
DROP INDEX refresh_families_subject;
