// Package mgmt is the management API, /api/v1 under each environment's
// issuer URL: JSON over HTTP, described by docs/api/openapi.yaml, and
// authorised by machine-to-machine access tokens whose audience is the
// environment's management API and whose scopes name what they may read
// and write.
//
// # Authorisation
//
// Every request needs a Bearer access token, which the tokens service
// introspects: it must be active, issued in the request's environment,
// carry the environment's management audience ([Config.Audience]) and
// belong to a machine-to-machine application that still exists (its
// subject is the client id: user tokens are refused). A request without
// such a token is answered 401 with a Bearer challenge. Each route needs
// one scope ([ScopeReadUsers], [ScopeWriteWorkflows]…); a token without it
// gets 403 insufficient_scope naming it. [CreateClient] and
// [EnsureCLIClient] register management clients.
//
// # Errors
//
// Every error response is an [ErrorResponse], {"errors":[{"code",
// "message"}]}, with one of the Code constants, written by one function
// (fail): errors of the identity store and the natsrpc codes of the
// services keep their meaning, anything else is an internal error whose
// details are logged, not returned. JSON bodies are limited to 64 KiB and
// unknown fields are refused; module uploads (multipart/form-data) to the
// deployments service's limit.
//
// Workflows, deployments, workflow encryption keys, environment variables
// and logs are served by the deployments, keys and logs services over NATS,
// with the request's context; applications, users, organizations and plans
// by the identity store.
package mgmt
