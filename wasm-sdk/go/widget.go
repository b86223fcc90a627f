package gatehouse

// InvalidateFormField rejects the form on the current page and shows message
// next to field. The fields are "p_first_password" and "p_second_password"
// in user:new_password_provided, "p_password" in
// user:existing_password_provided (abi.FormFields). Binding kinde.widget.
func InvalidateFormField(field, message string) error {
	return sysInvalidateFormField(field, message)
}
