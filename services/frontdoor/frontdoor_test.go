package frontdoor_test

import (
	"testing"
)

// TestFrontdoor runs every scenario against one platform: starting it is
// the expensive part. Scenarios use their own users and applications, and
// the ones that deploy workflows their own environment.
func TestFrontdoor(t *testing.T) {
	h := startPlatform(t)
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *harness)
	}{
		{"discovery", testDiscovery},
		{"jwks", testJWKS},
		{"client_credentials", testClientCredentials},
		{"client_authentication", testClientAuthentication},
		{"revoke_and_introspect", testRevokeAndIntrospect},
		{"m2m_workflow", testM2MWorkflow},
		{"m2m_workflow_failure_policy", testM2MWorkflowFailurePolicy},
		{"oversized_and_repeated_parameters", testParameterLimits},
		{"code_flow", testCodeFlow},
		{"public_client", testPublicClient},
		{"tokens_workflow", testTokensWorkflow},
		{"sign_in_workflows", testSignInWorkflows},
		{"authorization_request_attacks", testAuthorizationRequestAttacks},
		{"code_reuse", testCodeReuse},
		{"code_after_sign_out", testCodeAfterSignOut},
		{"sign_in_form", testSignInForm},
		{"userinfo_attacks", testUserinfoAttacks},
		{"logout", testLogout},
		{"expired_code", testExpiredCode},
		{"brute_force", testBruteForce},
		{"sign_up", testSignUp},
		{"sign_up_workflows", testSignUpWorkflows},
		{"organizations", testOrganizations},
		{"pre_mfa_workflow", testPreMFAWorkflow},
		{"preview", testPreview},
		{"password_reset", testPasswordReset},
		{"mfa", testMFA},
		{"mfa_delivery", testMFADelivery},
		{"mfa_step_up_and_grace", testMFAStepUpAndGrace},
		{"pre_mfa_requires", testPreMFARequires},
		{"mfa_bypass", testMFABypass},
		{"mfa_existing_sessions", testMFAExistingSessions},
		{"account_security_full_reauth", testAccountSecurityFullReauth},
		{"account_security", testAccountSecurity},
		{"password_reset_ends_pending_sign_ins", testResetEndsPendingSignIns},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, h) })
	}
}
