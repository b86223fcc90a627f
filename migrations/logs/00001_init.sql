-- +goose Up
-- One row per log record: runtime (one execution), build or sync. The id is
-- the record id producers publish with, so a redelivered or republished
-- record is stored once.
CREATE TABLE records (
    id            text             PRIMARY KEY,
    kind          text             NOT NULL CHECK (kind IN ('runtime', 'build', 'sync')),
    env           text             NOT NULL,
    workflow_id   text             NOT NULL DEFAULT '',
    deployment_id text             NOT NULL DEFAULT '',
    trigger       text             NOT NULL DEFAULT '',
    time          timestamptz      NOT NULL,
    outcome       text             NOT NULL DEFAULT '',
    level         text             NOT NULL DEFAULT '',
    duration_ms   double precision NOT NULL DEFAULT 0,
    -- the whole record as published (summary, console lines, error, message)
    record        jsonb            NOT NULL,
    ingested_at   timestamptz      NOT NULL DEFAULT now()
);
-- Every query has env and kind and pages over (time, id), either direction.
CREATE INDEX records_env_kind_time ON records (env, kind, time, id);
CREATE INDEX records_workflow_time ON records (env, kind, workflow_id, time, id) WHERE workflow_id <> '';
CREATE INDEX records_deployment_time ON records (env, kind, deployment_id, time, id) WHERE deployment_id <> '';
CREATE INDEX records_outcome_time ON records (env, outcome, time, id) WHERE kind = 'runtime';
-- retention deletes by age across every environment
CREATE INDEX records_time ON records (time);

-- +goose Down
DROP TABLE records;
