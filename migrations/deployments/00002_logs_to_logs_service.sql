-- Build and sync logs moved to the logs service (stream GATEHOUSE_LOGS,
-- schema logs): the deployments service only publishes them now.
-- +goose Up
DROP TABLE logs;

-- +goose Down
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
