// Package keys is the keys service: environment variables (plain and
// secret) and workflow encryption keys, kept in the service's own PostgreSQL
// schema (see Schema), and data encryption for other services.
//
// # Envelope encryption
//
// The operator's master key (the key-encryption key, KEK: 32 bytes from
// GATEHOUSE_MASTER_KEY or a key file, see LoadMasterKey) wraps one data key
// per environment. Data keys are made lazily, on an environment's first
// secret write, and encrypt secret values and workflow keys with AES-256-GCM,
// the row id being the associated data: a ciphertext copied onto another row
// does not decrypt. Each wrapped data key records which master key wrapped
// it, so the service refuses to start with a different one, and RotateMaster
// re-wraps the data keys under a new master key without touching the data.
//
// # Delivery
//
// Management requests never return a secret value; a workflow key's value is
// returned once, by create. Workers get values only through the resolve
// subjects, sealed to the transport key they send (api.Seal). Every change is
// announced on api.EventChanged so workers drop what they cached.
//
// # Data encryption
//
// Other services (tokens for signing keys, mfa for TOTP secrets) encrypt
// through api.SubjectDataEncrypt and store the ciphertext themselves; the
// keys service stores nothing but the environment's data key. The
// ciphertext is a version byte ‖ nonce ‖ AES-256-GCM output under the data
// key, bound to (env, purpose, context), with associated data that no
// secret or workflow key shares. Plaintext crosses the bus sealed: to the
// service's transport key on the way in, to the caller's on the way out.
// The service's X25519 transport key is derived from the master key, so all
// replicas share it and it changes when the master key is rotated (callers
// refetch it on failed_precondition, see api.DataClient).
package keys
