-- +goose Up

-- A user's factors. TOTP secrets are stored only as ciphertext made by the
-- keys service (purpose totp_secret, context = the factor id); last_step is
-- the last TOTP time step accepted, so a code is accepted once. Phone numbers
-- and emails are the destinations of SMS and email codes; last_sent_at is the
-- last code sent, for the resend cooldown. A user has at most one
-- backup_code factor, whose codes are in backup_codes.
CREATE TABLE factors (
    id                text        PRIMARY KEY,
    env               text        NOT NULL,
    user_id           text        NOT NULL,
    type              text        NOT NULL CHECK (type IN ('totp', 'sms', 'email', 'backup_code')),
    verified          boolean     NOT NULL DEFAULT false,
    phone_number      text        NOT NULL DEFAULT '',
    email             text        NOT NULL DEFAULT '',
    secret_ciphertext bytea,
    last_step         bigint,
    last_sent_at      timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_used_at      timestamptz,
    CHECK ((type = 'totp') = (secret_ciphertext IS NOT NULL))
);
CREATE INDEX factors_user ON factors (env, user_id, created_at);
CREATE UNIQUE INDEX factors_one_backup_set ON factors (env, user_id) WHERE type = 'backup_code';

-- Challenges of factors. code_hash is the keyed hash of an SMS or email code
-- (never the code); TOTP challenges have none and do not expire. attempts
-- counts wrong codes; verified_at makes a challenge single use.
CREATE TABLE challenges (
    id          text        PRIMARY KEY,
    env         text        NOT NULL,
    user_id     text        NOT NULL,
    factor_id   text        NOT NULL REFERENCES factors (id) ON DELETE CASCADE,
    type        text        NOT NULL CHECK (type IN ('totp', 'sms', 'email')),
    code_hash   bytea,
    attempts    integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    verified_at timestamptz
);
CREATE INDEX challenges_factor ON challenges (factor_id);
CREATE INDEX challenges_created ON challenges (created_at);

-- Backup codes. A backup code has fewer than 112 bits of entropy, so it is
-- stored as a salted password hash (PBKDF2-HMAC-SHA-256 with a random 16-byte
-- salt and the iteration count given) of its keyed hash; used_at makes each
-- single use.
CREATE TABLE backup_codes (
    factor_id  text        NOT NULL REFERENCES factors (id) ON DELETE CASCADE,
    salt       bytea       NOT NULL CHECK (length(salt) >= 16),
    iterations integer     NOT NULL CHECK (iterations >= 1000),
    code_hash  bytea       NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (factor_id, salt)
);

-- Consecutive wrong codes of a user across challenges; locked_at is set at
-- the limit and cleared only by a reset.
CREATE TABLE user_failures (
    env       text        NOT NULL,
    user_id   text        NOT NULL,
    failures  integer     NOT NULL DEFAULT 0,
    locked_at timestamptz,
    PRIMARY KEY (env, user_id)
);

-- Codes sent, per destination (the keyed hash of the phone number or email),
-- for the per-destination rate limit.
CREATE TABLE sends (
    env         text        NOT NULL,
    destination bytea       NOT NULL,
    sent_at     timestamptz NOT NULL
);
CREATE INDEX sends_destination ON sends (env, destination, sent_at);
CREATE INDEX sends_sent ON sends (sent_at);

-- The key of the keyed hashes of an environment (codes, backup codes,
-- destinations), stored only as ciphertext made by the keys service.
CREATE TABLE code_keys (
    env        text        PRIMARY KEY,
    ciphertext bytea       NOT NULL,
    created_at timestamptz NOT NULL
);

-- Environment policies and organization overrides.
CREATE TABLE policies (
    env                text        PRIMARY KEY,
    policy             text        NOT NULL CHECK (policy IN ('required', 'optional', 'off')),
    allowed_factors    text[]      NOT NULL,
    exempt_roles       text[]      NOT NULL DEFAULT '{}',
    exempt_connections text[]      NOT NULL DEFAULT '{}',
    grace_period       bigint      NOT NULL DEFAULT 0, -- seconds
    step_up_max_age    bigint      NOT NULL DEFAULT 0, -- seconds
    required_since     timestamptz,
    updated_at         timestamptz NOT NULL
);

CREATE TABLE org_policies (
    env             text        NOT NULL,
    org_code        text        NOT NULL,
    policy          text        NOT NULL CHECK (policy IN ('required', 'optional', 'off')),
    allowed_factors text[]      NOT NULL DEFAULT '{}',
    required_since  timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (env, org_code)
);

-- +goose Down
DROP TABLE org_policies;
DROP TABLE policies;
DROP TABLE code_keys;
DROP TABLE sends;
DROP TABLE user_failures;
DROP TABLE backup_codes;
DROP TABLE challenges;
DROP TABLE factors;
