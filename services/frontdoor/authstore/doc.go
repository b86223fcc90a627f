// Package authstore keeps the frontdoor's short-lived sign-in state in
// PostgreSQL schema "frontdoor" (migrations/frontdoor/00002_signin.sql):
// browser sessions, single-use authorization codes and the attempts counted
// by the sign-in limiter.
//
// Secrets never reach the database in clear: a session is found by the
// SHA-256 of its 256-bit cookie value and a code by the SHA-256 of the
// 256-bit code, so a copy of the tables lets no one sign in or redeem a
// code. Every method takes the time to use from the caller, so the
// frontdoor's clock (and a test's) decides expiry.
//
// # Errors
//
// Lookups fail with [ErrNotFound] for an unknown, expired or foreign
// secret; [Store.RedeemCode] tells a replayed code apart with
// [ErrCodeReused]. Other errors are the database's, wrapped.
package authstore
