// Package securefetch is the body format of kinde.secureFetch, and the helper
// a receiving server uses to read it.
//
// A workflow that calls SecureFetch sends its POST body encrypted with the
// workflow's active encryption key: AES-256-GCM with a random 12-byte nonce,
// written as the unpadded base64url encoding of
//
//	nonce (12 bytes) ‖ tag (16 bytes) ‖ ciphertext
//
// The key is the value shown once when the key was created: 32 bytes,
// written in base64url (padded or not), standard base64, or hex. A receiver
// decrypts with
//
//	key, err := securefetch.ParseKey(os.Getenv("GATEHOUSE_WORKFLOW_KEY"))
//	body, err := securefetch.Decrypt(key, requestBody)
//
// Decrypt fails, and reveals nothing, for a wrong key, a truncated or
// altered body, or a body that is not base64url. The package depends only on
// the standard library, so a customer's service can vendor it.
package securefetch
