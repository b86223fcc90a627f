-- +goose Up

-- One data key per environment, wrapped (AES-256-GCM, associated data = env)
-- by the operator's master key. kek_id names the master key that wrapped it:
-- the first 8 bytes, in hex, of SHA-256 of the master key.
CREATE TABLE data_keys (
    env          text        PRIMARY KEY,
    kek_id       text        NOT NULL,
    wrapped      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz
);

-- Environment variables. A plain value is stored in value; a secret one only
-- in ciphertext, encrypted with the environment's data key and the row id as
-- associated data.
CREATE TABLE env_vars (
    id         text        PRIMARY KEY,
    env        text        NOT NULL,
    key        text        NOT NULL,
    is_secret  boolean     NOT NULL,
    value      text,
    ciphertext bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (env, key),
    CHECK ((is_secret AND value IS NULL AND ciphertext IS NOT NULL)
        OR (NOT is_secret AND value IS NOT NULL AND ciphertext IS NULL))
);

-- Workflow encryption keys, encrypted with the environment's data key and the
-- row id as associated data.
CREATE TABLE workflow_keys (
    id           text        PRIMARY KEY,
    env          text        NOT NULL,
    workflow_id  text        NOT NULL,
    ciphertext   bytea       NOT NULL,
    active       boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz
);
CREATE INDEX workflow_keys_workflow ON workflow_keys (env, workflow_id, created_at DESC);
-- at most one active key per workflow
CREATE UNIQUE INDEX workflow_keys_one_active ON workflow_keys (env, workflow_id) WHERE active;

-- +goose Down
DROP TABLE workflow_keys;
DROP TABLE env_vars;
DROP TABLE data_keys;
