// Package tokens is the tokens service: it signs access, ID and M2M tokens,
// keeps the signing keys, rotates and revokes refresh tokens, and answers
// revocation and introspection, over NATS (see package api for the contract
// and the refresh protocol). Its state lives in its own PostgreSQL schema
// (see Schema).
//
// # Signing keys
//
// Each environment has one active key per algorithm (ES256 by default,
// RS256 on request), made on first use. The private key is encrypted by the
// keys service (api.PurposeSigningKey of services/keys/api) before it is
// stored; replicas decrypt it once and keep it in memory. Rotation makes a
// new active key; the previous one stops signing at once but stays in the
// JWKS, and keeps verifying, for Config.KeyOverlap (longer than any token
// lifetime), after which it is retired: never used, not published, and
// tokens signed by it read inactive. Replicas learn of a rotation from
// api.EventKeysChanged, and re-read the active key at least every
// Config.KeyCacheTTL in any case.
//
// # Refresh tokens
//
// Refresh tokens are opaque random strings stored as SHA-256 hashes in
// families, one family per grant. Rotation marks the presented token used
// and issues its successor in one transaction; presenting a used token is
// reuse (RFC 9700 §4.14.2) and revokes the family, including the access
// tokens issued from it.
//
// # Records
//
// Every access token's jti is recorded until the token expires, with its
// family and grant, so revocation by token, family or grant shows in
// introspection. Expired records, and families whose newest token has
// expired, are pruned every Config.PruneInterval.
package tokens
