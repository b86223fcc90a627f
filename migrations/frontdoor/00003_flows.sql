-- Sign-in state between the steps of an authorization request, deployment
-- previews and password resets. As in 00002, secrets are stored only as
-- their SHA-256 and times come from the frontdoor's clock.
-- +goose Up

-- An authentication in progress: the user proved who they are (auth_time,
-- amr) and the request waits for a step of theirs (choosing an
-- organization; completing MFA). params is the authorization request's
-- query, checked again when the flow resumes. session_id is set when the
-- flow continues an existing session rather than a new sign-in.
CREATE TABLE auth_flows (
    token_hash    bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    env           text        NOT NULL,
    user_id       text        NOT NULL,
    connection_id text        NOT NULL DEFAULT '',
    params        text        NOT NULL,
    auth_time     timestamptz NOT NULL,
    amr           text[]      NOT NULL,
    new_user      boolean     NOT NULL DEFAULT false,
    session_id    text        NOT NULL DEFAULT '',
    org_code      text        NOT NULL DEFAULT '',
    stage         text        NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    CONSTRAINT auth_flows_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE
);
CREATE INDEX auth_flows_expires ON auth_flows (expires_at);
-- A password reset ends the user's flows.
CREATE INDEX auth_flows_user ON auth_flows (env, user_id);

-- A deployment preview opened with its preview password: the triggers of
-- authorization requests of client_id carrying deploy_id run that
-- deployment while the grant lasts.
CREATE TABLE preview_grants (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    env        text        NOT NULL,
    deploy_id  text        NOT NULL,
    client_id  text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX preview_grants_expires ON preview_grants (expires_at);

-- The deployment a code was issued under preview of: the code exchange
-- runs user:tokens_generation of that deployment.
ALTER TABLE auth_codes ADD COLUMN deploy_id text NOT NULL DEFAULT '';
-- A password reset expires the user's codes not yet redeemed.
CREATE INDEX auth_codes_user ON auth_codes (env, user_id);

-- A password reset link. used_at is set by its only use; params is the
-- authorization request to resume after the reset, if any.
CREATE TABLE password_resets (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    env        text        NOT NULL,
    user_id    text        NOT NULL,
    params     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT password_resets_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE
);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
CREATE INDEX password_resets_user ON password_resets (env, user_id);

-- +goose Down
DROP TABLE password_resets;
DROP INDEX auth_codes_user;
ALTER TABLE auth_codes DROP COLUMN deploy_id;
DROP TABLE preview_grants;
DROP TABLE auth_flows;
