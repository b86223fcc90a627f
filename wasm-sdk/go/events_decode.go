package gatehouse

// decodeJSON methods of the event types, used by jsondecode.go. Unknown keys
// are skipped, as with encoding/json. Each switch lists the JSON field names
// of the struct's tags (events_test.go checks them against the tags).

func (x *AuthURLParams) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "state":
			return d.str(k, &x.State)
		case "orgCode":
			return d.str(k, &x.OrgCode)
		case "clientId":
			return d.str(k, &x.ClientID)
		case "redirectUri":
			return d.str(k, &x.RedirectURI)
		}
		return d.skip()
	})
}

func (x *TokenRequestAuth) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "audience":
			return d.strings(k, &x.Audience)
		case "scope":
			return d.strings(k, &x.Scope)
		}
		return d.skip()
	})
}

func (x *Domains) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		if string(k) == "kindeDomain" {
			return d.str(k, &x.KindeDomain)
		}
		return d.skip()
	})
}

func (x *User) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "id":
			return d.str(k, &x.ID)
		case "email":
			return d.str(k, &x.Email)
		case "identityId":
			return d.str(k, &x.IdentityID)
		}
		return d.skip()
	})
}

func (x *Organization) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		if string(k) == "code" {
			return d.str(k, &x.Code)
		}
		return d.skip()
	})
}

func (x *Application) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		if string(k) == "clientId" {
			return d.str(k, &x.ClientID)
		}
		return d.skip()
	})
}

func (x *WorkflowInfo) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		if string(k) == "trigger" {
			return d.str(k, (*string)(&x.Trigger))
		}
		return d.skip()
	})
}

func (x *MFAContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "policy":
			return d.str(k, &x.Policy)
		case "context":
			return d.str(k, &x.Context)
		case "enabledFactors":
			return d.strings(k, &x.EnabledFactors)
		case "isUserRoleExempt":
			return d.boolean(k, &x.IsUserRoleExempt)
		case "isUserConnectionExempt":
			return d.boolean(k, &x.IsUserConnectionExempt)
		case "lastMfaAt":
			return d.str(k, &x.LastMFAAt)
		}
		return d.skip()
	})
}

func (x *Billing) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "currentPlanCode":
			return d.str(k, &x.CurrentPlanCode)
		case "requestedPlanCode":
			return d.str(k, &x.RequestedPlanCode)
		case "agreementId":
			return d.str(k, &x.AgreementID)
		}
		return d.skip()
	})
}

// user:pre_registration

func (x *PreRegistrationEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PreRegistrationRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "ip":
			return d.str(k, &x.IP)
		case "userAgent":
			return d.str(k, &x.UserAgent)
		case "authUrlParams":
			return x.AuthURLParams.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PreRegistrationContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "auth":
			return x.Auth.decodeJSON(d)
		case "domains":
			return x.Domains.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		case "application":
			return x.Application.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PreRegistrationAuth) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "connectionId":
			return d.str(k, &x.ConnectionID)
		case "providedEmail":
			return d.str(k, &x.ProvidedEmail)
		}
		return d.skip()
	})
}

// user:post_authentication

func (x *PostAuthenticationEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PostAuthenticationRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "ip":
			return d.str(k, &x.IP)
		case "userAgent":
			return d.str(k, &x.UserAgent)
		case "authUrlParams":
			return x.AuthURLParams.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PostAuthenticationContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "auth":
			return x.Auth.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		case "domains":
			return x.Domains.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		case "application":
			return x.Application.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PostAuthenticationAuth) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "connectionId":
			return d.str(k, &x.ConnectionID)
		case "isNewUserRecordCreated":
			return d.boolean(k, &x.IsNewUserRecordCreated)
		}
		return d.skip()
	})
}

// user:new_password_provided

func (x *NewPasswordProvidedEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *NewPasswordProvidedRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "ip":
			return d.str(k, &x.IP)
		case "userAgent":
			return d.str(k, &x.UserAgent)
		}
		return d.skip()
	})
}

func (x *NewPasswordProvidedContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "domains":
			return x.Domains.decodeJSON(d)
		case "auth":
			return x.Auth.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *NewPasswordProvidedAuth) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "firstPassword":
			return d.str(k, &x.FirstPassword)
		case "secondPassword":
			return d.str(k, &x.SecondPassword)
		case "newPasswordReason":
			return d.str(k, &x.NewPasswordReason)
		}
		return d.skip()
	})
}

// user:existing_password_provided

func (x *ExistingPasswordProvidedEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *ExistingPasswordProvidedRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "ip":
			return d.str(k, &x.IP)
		case "userAgent":
			return d.str(k, &x.UserAgent)
		}
		return d.skip()
	})
}

func (x *ExistingPasswordProvidedContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "domains":
			return x.Domains.decodeJSON(d)
		case "auth":
			return x.Auth.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *ExistingPasswordProvidedAuth) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "providedEmail":
			return d.str(k, &x.ProvidedEmail)
		case "password":
			return d.str(k, &x.Password)
		case "hashedPassword":
			return d.str(k, &x.HashedPassword)
		case "hasUserRecordInKinde":
			return d.boolean(k, &x.HasUserRecordInKinde)
		}
		return d.skip()
	})
}

// user:pre_mfa

func (x *PreMFAEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PreMFARequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "ip":
			return d.str(k, &x.IP)
		case "userAgent":
			return d.str(k, &x.UserAgent)
		case "authUrlParams":
			return x.AuthURLParams.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PreMFAContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "auth":
			return x.Auth.decodeJSON(d)
		case "domains":
			return x.Domains.decodeJSON(d)
		case "mfa":
			return x.MFA.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		case "application":
			return x.Application.decodeJSON(d)
		case "organization":
			return x.Organization.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PreMFAAuth) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		if string(k) == "connectionId" {
			return d.str(k, &x.ConnectionID)
		}
		return d.skip()
	})
}

// user:tokens_generation

func (x *TokensGenerationEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *TokensGenerationRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "auth":
			return x.Auth.decodeJSON(d)
		case "ip":
			return d.str(k, &x.IP)
		}
		return d.skip()
	})
}

func (x *TokensGenerationContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "domains":
			return x.Domains.decodeJSON(d)
		case "auth":
			return x.Auth.decodeJSON(d)
		case "application":
			return x.Application.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		case "organization":
			return x.Organization.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *TokensGenerationAuth) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "origin":
			return d.str(k, &x.Origin)
		case "isExistingSession":
			return d.boolean(k, &x.IsExistingSession)
		case "connectionId":
			return d.str(k, &x.ConnectionID)
		}
		return d.skip()
	})
}

// m2m:token_generation

func (x *M2MTokenGenerationEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *M2MTokenGenerationRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "auth":
			return x.Auth.decodeJSON(d)
		case "ip":
			return d.str(k, &x.IP)
		}
		return d.skip()
	})
}

func (x *M2MTokenGenerationContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "domains":
			return x.Domains.decodeJSON(d)
		case "application":
			return x.Application.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		}
		return d.skip()
	})
}

// user:plan_selection

func (x *PlanSelectionEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PlanSelectionRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "userAgent":
			return d.str(k, &x.UserAgent)
		case "ip":
			return d.str(k, &x.IP)
		}
		return d.skip()
	})
}

func (x *PlanSelectionContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "domains":
			return x.Domains.decodeJSON(d)
		case "billing":
			return x.Billing.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		case "organization":
			return x.Organization.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		}
		return d.skip()
	})
}

// user:plan_cancellation_request

func (x *PlanCancellationRequestEvent) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "request":
			return x.Request.decodeJSON(d)
		case "context":
			return x.Context.decodeJSON(d)
		}
		return d.skip()
	})
}

func (x *PlanCancellationRequestRequest) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "userAgent":
			return d.str(k, &x.UserAgent)
		case "ip":
			return d.str(k, &x.IP)
		}
		return d.skip()
	})
}

func (x *PlanCancellationRequestContext) decodeJSON(d *decoder) error {
	return d.object(nil, func(d *decoder, k []byte) error {
		switch string(k) {
		case "domains":
			return x.Domains.decodeJSON(d)
		case "billing":
			return x.Billing.decodeJSON(d)
		case "user":
			return x.User.decodeJSON(d)
		case "organization":
			return x.Organization.decodeJSON(d)
		case "workflow":
			return x.Workflow.decodeJSON(d)
		}
		return d.skip()
	})
}
