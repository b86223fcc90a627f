-- Identity data of the frontdoor: environments, users and their identities
-- (sign-in methods), connections, organizations and memberships, and OAuth
-- applications. Every row carries its environment; composite foreign keys
-- keep a membership or an identity from joining rows of two environments.
-- +goose Up
CREATE TABLE environments (
    id         text        PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connections (
    id         text        PRIMARY KEY,
    env        text        NOT NULL REFERENCES environments (id),
    kind       text        NOT NULL CHECK (kind IN ('email_password')),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (env, id)
);
-- one email + password connection per environment
CREATE UNIQUE INDEX connections_env_email_password ON connections (env) WHERE kind = 'email_password';

CREATE TABLE users (
    id              text        PRIMARY KEY,
    env             text        NOT NULL REFERENCES environments (id),
    -- stored normalised (trimmed, lower-cased); unique per environment
    -- whatever the case
    email           text        NOT NULL,
    email_verified  boolean     NOT NULL DEFAULT false,
    given_name      text        NOT NULL DEFAULT '',
    family_name     text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz,
    UNIQUE (env, id)
);
-- addresses are stored normalised (ASCII lower case), so equality is exact
CREATE UNIQUE INDEX users_env_email ON users (env, email);
-- ids are time-ordered: listing by id lists by creation
CREATE INDEX users_env_id ON users (env, id);

CREATE TABLE identities (
    env           text        NOT NULL,
    user_id       text        NOT NULL,
    connection_id text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('email_password')),
    -- argon2id, PHC string format; required for email_password identities
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, connection_id),
    CONSTRAINT identities_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE,
    CONSTRAINT identities_connection_fkey FOREIGN KEY (env, connection_id) REFERENCES connections (env, id),
    CHECK (kind <> 'email_password' OR password_hash IS NOT NULL)
);

CREATE TABLE organizations (
    code       text        PRIMARY KEY,
    env        text        NOT NULL REFERENCES environments (id),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (env, code)
);

CREATE TABLE memberships (
    env        text        NOT NULL,
    org_code   text        NOT NULL,
    user_id    text        NOT NULL,
    roles      text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- env in the key: an upsert from another environment can never hit
    -- (and update) this row; the foreign keys then refuse it
    PRIMARY KEY (env, org_code, user_id),
    CONSTRAINT memberships_org_fkey FOREIGN KEY (env, org_code) REFERENCES organizations (env, code) ON DELETE CASCADE,
    CONSTRAINT memberships_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE
);
CREATE INDEX memberships_user ON memberships (env, user_id, org_code);

CREATE TABLE applications (
    client_id                 text        PRIMARY KEY,
    env                       text        NOT NULL REFERENCES environments (id),
    name                      text        NOT NULL,
    type                      text        NOT NULL CHECK (type IN ('regular', 'spa', 'native', 'm2m')),
    -- SHA-256 of the 256-bit random client secret; confidential clients only
    client_secret_hash        bytea,
    redirect_uris             text[]      NOT NULL DEFAULT '{}',
    post_logout_redirect_uris text[]      NOT NULL DEFAULT '{}',
    grant_types               text[]      NOT NULL,
    -- APIs (audiences) and scopes an m2m application may request
    audiences                 text[]      NOT NULL DEFAULT '{}',
    scopes                    text[]      NOT NULL DEFAULT '{}',
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CHECK ((type IN ('regular', 'm2m')) = (client_secret_hash IS NOT NULL)),
    CHECK (client_secret_hash IS NULL OR length(client_secret_hash) = 32)
);
CREATE INDEX applications_env ON applications (env, created_at);

-- +goose Down
DROP TABLE applications;
DROP TABLE memberships;
DROP TABLE organizations;
DROP TABLE identities;
DROP TABLE users;
DROP TABLE connections;
DROP TABLE environments;
