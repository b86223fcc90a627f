-- Multi-factor authentication in sign-ins: sessions and codes remember the
-- assurance reached (acr) and when MFA was last completed; a flow waiting
-- for MFA keeps its step in mfa (JSON: the factors allowed, the challenge
-- in progress, a grace-period notice).
-- +goose Up
ALTER TABLE sessions ADD COLUMN acr text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN mfa_at timestamptz;
ALTER TABLE auth_codes ADD COLUMN acr text NOT NULL DEFAULT '';
ALTER TABLE auth_flows ADD COLUMN mfa jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE auth_flows DROP COLUMN mfa;
ALTER TABLE auth_codes DROP COLUMN acr;
ALTER TABLE sessions DROP COLUMN mfa_at;
ALTER TABLE sessions DROP COLUMN acr;
