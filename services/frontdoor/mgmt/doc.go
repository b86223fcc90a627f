// Package mgmt is the management API, /api/v1 under each environment's
// issuer URL: JSON over HTTP, described by docs/api/openapi.yaml, and
// authorised by machine-to-machine access tokens whose audience is the
// environment's management API and whose scopes name what they may read
// and write.
package mgmt
