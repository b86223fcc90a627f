-- +goose Up

-- Signing keys, per environment and algorithm. The private key (PKCS #8 DER)
-- is stored only as ciphertext made by the keys service (purpose
-- signing_key, context = the key id); public_jwk is the public half. A key
-- signs while superseded_at is NULL, and there is at most one such key per
-- environment and algorithm. A superseded key stays in the JWKS for the
-- service's overlap period and is retired after it.
CREATE TABLE signing_keys (
    id            text        PRIMARY KEY,
    env           text        NOT NULL,
    alg           text        NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    public_jwk    jsonb       NOT NULL,
    ciphertext    bytea       NOT NULL,
    created_at    timestamptz NOT NULL,
    superseded_at timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (env, alg) WHERE superseded_at IS NULL;
CREATE INDEX signing_keys_env ON signing_keys (env, created_at DESC);

-- A refresh family is the chain of refresh tokens rotated from one grant; it
-- holds the grant's context. expires_at follows the newest token's expiry.
-- Revoking a family ends every token of it.
CREATE TABLE refresh_families (
    id            text        PRIMARY KEY,
    env           text        NOT NULL,
    grant_id      text        NOT NULL DEFAULT '',
    client_id     text        NOT NULL,
    subject       text        NOT NULL,
    org_code      text        NOT NULL DEFAULT '',
    scope         text[]      NOT NULL DEFAULT '{}',
    audience      text[]      NOT NULL DEFAULT '{}',
    amr           text[]      NOT NULL DEFAULT '{}',
    acr           text        NOT NULL DEFAULT '',
    auth_time     timestamptz,
    session_id    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text        NOT NULL DEFAULT ''
);
CREATE INDEX refresh_families_grant ON refresh_families (env, grant_id) WHERE grant_id <> '';
CREATE INDEX refresh_families_expiry ON refresh_families (expires_at);

-- Refresh tokens, by the SHA-256 of the token; the token itself is never
-- stored. used_at is set when the token is rotated: presenting it again is
-- reuse.
CREATE TABLE refresh_tokens (
    token_hash bytea       PRIMARY KEY,
    family_id  text        NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    env        text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Every access token issued, by jti, until it expires: introspection reads
-- revoked_at, and revocation by family or grant sets it.
CREATE TABLE access_tokens (
    jti        text        PRIMARY KEY,
    env        text        NOT NULL,
    client_id  text        NOT NULL,
    subject    text        NOT NULL,
    family_id  text,
    grant_id   text        NOT NULL DEFAULT '',
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX access_tokens_family ON access_tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX access_tokens_grant ON access_tokens (env, grant_id) WHERE grant_id <> '';
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

-- +goose Down
DROP TABLE access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
DROP TABLE signing_keys;
