-- Plans and the agreements (subscriptions) that put users on them, as in
-- Kinde billing. A plan belongs to an environment and is named by a code
-- ("free", "pro_annual") that trigger events carry; at most one plan per
-- environment is the default one, assigned at sign-up. An agreement
-- (agreement_…) is a user's subscription: changing plan changes the plan of
-- the active agreement, cancelling it ends it, and choosing a plan with no
-- active agreement starts a new one.
-- +goose Up
CREATE TABLE plans (
    env         text        NOT NULL REFERENCES environments (id),
    code        text        NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name        text        NOT NULL CHECK (btrim(name) <> ''),
    description text        NOT NULL DEFAULT '',
    -- the order in which plans are offered, lowest first
    position    integer     NOT NULL DEFAULT 0,
    is_default  boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (env, code)
);
CREATE UNIQUE INDEX plans_env_default ON plans (env) WHERE is_default;

CREATE TABLE agreements (
    id           text        PRIMARY KEY,
    env          text        NOT NULL,
    user_id      text        NOT NULL,
    -- the organization the plan was chosen for; '' when none
    org_code     text        NOT NULL DEFAULT '',
    plan_code    text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('active', 'cancelled')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    CONSTRAINT agreements_user_fkey FOREIGN KEY (env, user_id) REFERENCES users (env, id) ON DELETE CASCADE,
    CONSTRAINT agreements_plan_fkey FOREIGN KEY (env, plan_code) REFERENCES plans (env, code),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
-- a user has at most one active agreement
CREATE UNIQUE INDEX agreements_active_user ON agreements (env, user_id) WHERE status = 'active';
-- ids are time-ordered: the latest agreement of a user has the greatest id
CREATE INDEX agreements_user ON agreements (env, user_id, id);

-- +goose Down
DROP TABLE agreements;
DROP TABLE plans;
