-- Short-lived sign-in state of the frontdoor: browser sessions, single-use
-- authorization codes and failed sign-in attempts. Secrets (the session
-- cookie value, the code) are stored only as their SHA-256; times are
-- written by the frontdoor's clock, not now(), so that expiry follows one
-- clock.
-- +goose Up

-- A browser session: the user signed in at auth_time with the methods in amr.
-- id is public (the sid claim of tokens); token_hash is the SHA-256 of the
-- 256-bit random cookie value that proves the session.
CREATE TABLE sessions (
    id            text        PRIMARY KEY,
    token_hash    bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    env           text        NOT NULL,
    user_id       text        NOT NULL,
    connection_id text        NOT NULL DEFAULT '',
    auth_time     timestamptz NOT NULL,
    amr           text[]      NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    CONSTRAINT sessions_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (env, user_id);

-- An authorization code, bound to the client, redirect URI, PKCE challenge
-- and nonce of its request. used_at is set by the first redemption; a later
-- one sets reused_at and revokes every token issued from grant_id. Rows stay
-- a while after expiry so that a late replay is still recognised.
CREATE TABLE auth_codes (
    code_hash        bytea       PRIMARY KEY CHECK (length(code_hash) = 32),
    grant_id         text        NOT NULL UNIQUE,
    env              text        NOT NULL,
    client_id        text        NOT NULL,
    redirect_uri     text        NOT NULL,
    code_challenge   text        NOT NULL,
    nonce            text        NOT NULL DEFAULT '',
    scope            text[]      NOT NULL,
    user_id          text        NOT NULL,
    session_id       text        NOT NULL,
    connection_id    text        NOT NULL DEFAULT '',
    org_code         text        NOT NULL DEFAULT '',
    auth_time        timestamptz NOT NULL,
    amr              text[]      NOT NULL,
    existing_session boolean     NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    reused_at        timestamptz,
    CONSTRAINT auth_codes_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE
);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);

-- Sign-in attempts counted by the limiter, one row per attempt that has
-- not succeeded; key_hash is the SHA-256 of what is limited ("account" with
-- the environment and normalised email, or "ip" with the address), so
-- mistyped emails are not kept in clear.
CREATE TABLE login_attempts (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash bytea       NOT NULL CHECK (length(key_hash) = 32),
    at       timestamptz NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key_hash, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- +goose Down
DROP TABLE login_attempts;
DROP TABLE auth_codes;
DROP TABLE sessions;
