-- +goose Up
CREATE TABLE workflows (
    env        text        NOT NULL,
    id         text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    trigger    text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (env, id)
);
-- each trigger has at most one workflow per environment
CREATE UNIQUE INDEX workflows_env_trigger ON workflows (env, trigger);

CREATE TABLE deployments (
    id               text        PRIMARY KEY,
    env              text        NOT NULL,
    workflow_id      text        NOT NULL DEFAULT '',
    trigger          text        NOT NULL DEFAULT '',
    status           text        NOT NULL,
    sha256           text        NOT NULL,
    size             integer     NOT NULL,
    settings         jsonb       NOT NULL DEFAULT '{}',
    failure_policy   text        NOT NULL DEFAULT 'stop',
    error            text        NOT NULL DEFAULT '',
    source           text        NOT NULL DEFAULT '',
    preview_hash     bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    live_at          timestamptz
);
CREATE INDEX deployments_env_workflow ON deployments (env, workflow_id, created_at DESC);
-- at most one live deployment per trigger per environment
CREATE UNIQUE INDEX deployments_one_live ON deployments (env, trigger) WHERE status = 'Live';

CREATE TABLE logs (
    id            bigserial   PRIMARY KEY,
    env           text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('build', 'sync')),
    deployment_id text        NOT NULL DEFAULT '',
    workflow_id   text        NOT NULL DEFAULT '',
    level         text        NOT NULL,
    message       text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX logs_env_kind ON logs (env, kind, id);
CREATE INDEX logs_deployment ON logs (deployment_id, id);

CREATE TABLE env_settings (
    env       text    PRIMARY KEY,
    auto_live boolean NOT NULL DEFAULT true
);

-- +goose Down
DROP TABLE env_settings;
DROP TABLE logs;
DROP TABLE deployments;
DROP TABLE workflows;
