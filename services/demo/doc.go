// Package demo is the development demo of `gatehouse serve`: a seed that
// makes a demo application, user, organization and live workflow in the
// default environment, and a small relying party at /demo that signs the
// demo user in with the authorization code flow (PKCE S256) and shows the
// tokens, including the claim the live workflow adds.
//
// The seed is idempotent: it looks everything up before creating it and
// keeps what it cannot read back (the client secret and the user's
// password, shown only once) in demo.json under the data directory, mode
// 0600. It runs in development only.
package demo
