// Package api is the deployments service's public contract: subjects, request
// and response types, statuses and the change event. Workflow modules travel
// through the JetStream object store bucket ArtifactBucket, named by the
// hex sha256 of their bytes; requests carry only the digest.
package api
