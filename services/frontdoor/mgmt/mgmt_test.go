package mgmt_test

import (
	"testing"
)

// TestManagementAPI runs every scenario against one platform, then checks
// that the OpenAPI description covers every route and that every operation
// it describes was answered successfully at least once.
func TestManagementAPI(t *testing.T) {
	h := startPlatform(t)
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *harness)
	}{
		{"applications", testApplications},
		{"users", testUsers},
		{"organizations", testOrganizations},
		{"deployments_workflows_keys_logs", testDeployments},
		{"environment_variables", testEnvironmentVariables},
		{"plans", testPlans},
		{"mfa", testMFA},
		{"authentication", testAuthentication},
		{"scopes", testScopes},
		{"bad_input", testBadInput},
		{"other_environment", testOtherEnvironment},
		{"cli_client", testEnsureCLIClient},
	} {
		if !t.Run(sc.name, func(t *testing.T) { sc.run(t, h) }) {
			return
		}
	}
	t.Run("routes_in_spec", h.routesInSpec)
	t.Run("every_operation_answered", h.everyOperationAnswered)
}
