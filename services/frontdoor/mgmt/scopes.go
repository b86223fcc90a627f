package mgmt

import "slices"

// Scopes of management API tokens. Each endpoint needs exactly one: read:X
// to look, write:X to change. Write does not imply read.
const (
	ScopeReadApplications          = "read:applications"
	ScopeWriteApplications         = "write:applications"
	ScopeReadUsers                 = "read:users"
	ScopeWriteUsers                = "write:users"
	ScopeReadOrganizations         = "read:organizations"
	ScopeWriteOrganizations        = "write:organizations"
	ScopeReadWorkflows             = "read:workflows" // workflows, deployments, workflow encryption keys
	ScopeWriteWorkflows            = "write:workflows"
	ScopeReadEnvironmentVariables  = "read:environment_variables"
	ScopeWriteEnvironmentVariables = "write:environment_variables"
	ScopeReadLogs                  = "read:logs"
	ScopeReadMFA                   = "read:mfa" // MFA policies and enrollment stats (users' factors are read:users)
	ScopeWriteMFA                  = "write:mfa"
)

var allScopes = []string{
	ScopeReadApplications, ScopeWriteApplications,
	ScopeReadUsers, ScopeWriteUsers,
	ScopeReadOrganizations, ScopeWriteOrganizations,
	ScopeReadWorkflows, ScopeWriteWorkflows,
	ScopeReadEnvironmentVariables, ScopeWriteEnvironmentVariables,
	ScopeReadLogs,
	ScopeReadMFA, ScopeWriteMFA,
}

// AllScopes returns every management API scope.
func AllScopes() []string { return slices.Clone(allScopes) }

// KnownScope reports whether s is a management API scope.
func KnownScope(s string) bool { return slices.Contains(allScopes, s) }
