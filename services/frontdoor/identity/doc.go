// Package identity holds the frontdoor's identity data in PostgreSQL schema
// "frontdoor" (migrations/frontdoor): environments, users, their identities
// (sign-in methods) and the connections those belong to, organizations and
// memberships, and OAuth applications. It is private to the frontdoor; other
// services learn about users only through trigger events and tokens.
//
// Identifiers follow Kinde's shapes: users kp_…, organizations org_…,
// connections conn_… (each followed by 32 time-ordered hex digits), and
// client ids of 32 hex digits. Every row carries its environment, and every
// [Store] method is scoped to one: an OAuth endpoint knows its environment
// from its issuer, so a client of another environment is simply not found.
//
// # Passwords
//
// Passwords are hashed with argon2id ([DefaultArgon2Params]: 64 MiB, one
// pass, two lanes) and stored in the PHC string format
// ($argon2id$v=19$m=65536,t=1,p=2$salt$hash), so each hash carries its own
// parameters: when the parameters change, old hashes still verify and are
// replaced at the user's next successful sign-in ([PasswordHasher.NeedsRehash]).
// [CheckPasswordPolicy] requires at least 8 characters (code points), at
// most 1,024 bytes, and a password not on a list of a million common
// passwords, compared case-insensitively (data/README.md: source, version
// and licence of the list).
//
// [Store.VerifyPassword] returns the single error [ErrInvalidCredentials]
// for an unknown email and for a wrong password alike, and computes one
// argon2id hash in both cases (against a dummy hash when there is no real
// one), so neither the answer nor its timing tells whether an account
// exists. Limiting attempts is the frontdoor's job.
//
// # Client secrets
//
// Confidential applications (regular, m2m) get a 256-bit random client
// secret, returned once at creation or rotation; only its SHA-256 is stored
// (see newClientSecret for why not argon2id) and it is compared in constant
// time. Redirect URIs are compared byte for byte ([MatchRedirectURI]).
package identity
