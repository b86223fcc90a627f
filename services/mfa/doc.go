// Package mfa is the MFA service: users' second factors (TOTP authenticator
// apps, SMS and email one-time codes, backup codes), their challenges and
// verification, the MFA policies of environments and organizations, the MFA
// context of a sign-in and enrollment stats, over NATS (see package api for
// the contract). Its state lives in its own PostgreSQL schema (see Schema).
//
// # Secrets and codes
//
// TOTP secrets are encrypted by the keys service (purpose totp_secret of
// services/keys/api, context = the factor id) before they are stored, and
// decrypted for each verification. SMS and email codes and the
// destinations counted by the rate limit are stored only as keyed hashes
// (HMAC-SHA-256) under a per-environment key, itself stored encrypted by
// the keys service (purpose totp_secret, context "code_key"): a copy of
// the database alone does not reveal a code, even by trying all million.
// Backup codes, which last until used, are stored as a salted password
// hash (PBKDF2-HMAC-SHA-256, a random salt per code) of that keyed hash.
// Codes are compared in constant time and never logged.
//
// # Verification
//
// A challenge is single use (previously_verified), SMS and email challenges
// expire after api.ChallengeTTL (expired), and api.MaxChallengeAttempts
// wrong codes lock a challenge (too_many_attempts). A TOTP code is accepted
// for the current time step and one step either side, and only for a step
// later than the last one accepted for the factor, so a code cannot be
// replayed in another challenge. api.MaxConsecutiveFailures wrong codes in
// a row, across challenges and backup codes, lock the user's factors
// (factor_locked) until an administrator resets them. The transactions
// that check or change a user's factors run one at a time per user (a
// PostgreSQL advisory lock), so requests racing each other cannot use a
// code twice or get past either limit.
//
// # Delivery
//
// SMS and email codes go through Config.SMS and Config.Mailer, retried
// with backoff (delivery_failed after the last attempt). A factor gets at
// most one code per api.ResendCooldown, a destination at most
// Config.DestinationLimit codes per Config.DestinationWindow, and a user,
// across all their factors, at most Config.UserSendLimit codes per
// Config.UserSendWindow (rate_limited beyond either limit).
//
// # Pruning
//
// Every Config.PruneInterval, challenges older than a day and send records
// older than the rate limits' windows are deleted, and so are factors
// never verified that were enrolled more than Config.UnverifiedFactorTTL
// ago, with their encrypted secrets and challenges. Verified factors are
// never pruned.
package mfa
