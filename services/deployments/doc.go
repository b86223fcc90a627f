// Package deployments is the deployments service: it validates uploaded
// workflow modules, records workflows, deployments, build logs and sync logs in
// its own PostgreSQL schema, decides which deployment is live for each trigger,
// and announces every change on api.EventChanged so workers and the frontdoor
// drop their caches at once.
//
// Module bytes live in the JetStream object store (api.ArtifactBucket), named
// by sha256; PostgreSQL holds only metadata. docs/RATIONALE.md says why.
package deployments
