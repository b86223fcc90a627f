-- Email verification links sent at sign-up: following one marks the
-- address verified, if it is still the user's address.
-- +goose Up
CREATE TABLE email_verifications (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    env        text        NOT NULL,
    user_id    text        NOT NULL,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT email_verifications_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE
);
CREATE INDEX email_verifications_expires ON email_verifications (expires_at);

-- +goose Down
DROP TABLE email_verifications;
