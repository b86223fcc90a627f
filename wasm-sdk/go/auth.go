package gatehouse

// DenyAccess stops the flow: the user is not signed in (or not registered)
// and sees reason. Binding kinde.auth; available in pre_registration,
// post_authentication, the two password triggers, tokens_generation and
// pre_mfa.
func DenyAccess(reason string) error {
	return sysDenyAccess(reason)
}
