package wfcli

import "github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"

// sampleEvents are the sample event objects of the Kinde trigger pages, with
// the same fields; placeholders ("***", "<EXAMPLE_API>", "a" | "b") are
// replaced by plausible values so that the file is valid JSON.
var sampleEvents = map[abi.Trigger]string{
	abi.TriggerPreRegistration: `{
  "request": {
    "ip": "192.168.0.1",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0",
    "authUrlParams": {
      "state": "b9ea1131f7796a10abe8eac1b48c715575a0ffd349fb9c602e13d824",
      "orgCode": "org_12345667",
      "clientId": "cad2d86b1ac645e1957889fcb1eff0f9",
      "redirectUri": "http://localhost:3000"
    }
  },
  "context": {
    "auth": {
      "connectionId": "conn_0194ee03c226d48c6858d5a412359ed2"
    },
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "workflow": {
      "trigger": "user:pre_registration"
    },
    "application": {
      "clientId": "cad2d86b1ac645e1957889fcb1eff0f9"
    }
  }
}
`,
	abi.TriggerPostAuthentication: `{
  "request": {
    "ip": "192.168.0.1",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0",
    "authUrlParams": {
      "state": "b9ea1131f7796a10abe8eac1b48c715575a0ffd349fb9c602e13d824",
      "orgCode": "org_12345667",
      "clientId": "cad2d86b1ac645e1957889fcb1eff0f9",
      "redirectUri": "http://localhost:3000"
    }
  },
  "context": {
    "auth": {
      "connectionId": "conn_0194ee03c226d48c6858d5a412359ed2",
      "isNewUserRecordCreated": true
    },
    "user": {
      "id": "kp_6e54d9612e8748b39557c9975bdba033"
    },
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "workflow": {
      "trigger": "user:post_authentication"
    },
    "application": {
      "clientId": "cad2d86b1ac645e1957889fcb1eff0f9"
    }
  }
}
`,
	abi.TriggerNewPasswordProvided: `{
  "request": {
    "ip": "192.168.0.1",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0"
  },
  "context": {
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "auth": {
      "firstPassword": "someSecurePassword",
      "secondPassword": "someSecurePassword",
      "newPasswordReason": "reset"
    },
    "user": {
      "id": "kp_1234566",
      "email": "hello@example.com"
    },
    "workflow": {
      "trigger": "user:new_password_provided"
    }
  }
}
`,
	abi.TriggerExistingPasswordProvided: `{
  "request": {
    "ip": "192.168.0.1",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0"
  },
  "context": {
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "auth": {
      "providedEmail": "hello@example.com",
      "password": "someSecurePassword",
      "hashedPassword": "someHash",
      "hasUserRecordInKinde": false
    },
    "user": {
      "id": "kp_1234566"
    },
    "workflow": {
      "trigger": "user:existing_password_provided"
    }
  }
}
`,
	abi.TriggerPreMFA: `{
  "request": {
    "ip": "192.168.0.1",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0"
  },
  "context": {
    "auth": {
      "connectionId": "conn_01945d3ccf4926118bfdeb6e1158edb5"
    },
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "mfa": {
      "policy": "optional",
      "context": "environment",
      "enabledFactors": ["mfa:sms", "mfa:email", "mfa:authenticator_app"],
      "isUserRoleExempt": false,
      "isUserConnectionExempt": false,
      "lastMfaAt": "2026-01-15T09:30:00Z"
    },
    "user": {
      "id": "kp_77d28fc7b16240dd9ec12b08071fe46e"
    },
    "workflow": {
      "trigger": "user:pre_mfa"
    },
    "application": {
      "clientId": "cee9743fc7ee4d2e84061fe1a662051d"
    },
    "organization": {
      "code": "org_75ad9f26d2c"
    }
  }
}
`,
	abi.TriggerTokensGeneration: `{
  "request": {
    "auth": {
      "audience": ["https://api.example.com"]
    },
    "ip": "192.168.0.1"
  },
  "context": {
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "auth": {
      "origin": "authorization_request",
      "isExistingSession": false,
      "connectionId": "conn_12345"
    },
    "application": {
      "clientId": "299627bd8bfa493f8b17e6aec8ebfb86"
    },
    "user": {
      "id": "kp_1234567890",
      "identityId": "identity_123456789"
    },
    "organization": {
      "code": "org_123456789"
    },
    "workflow": {
      "trigger": "user:tokens_generation"
    }
  }
}
`,
	abi.TriggerM2MTokenGeneration: `{
  "request": {
    "auth": {
      "audience": ["https://api.example.com"],
      "scope": ["read:users"]
    },
    "ip": "192.168.0.1"
  },
  "context": {
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "application": {
      "clientId": "299627bd8bfa493f8b17e6aec8ebfb86"
    },
    "workflow": {
      "trigger": "m2m:token_generation"
    }
  }
}
`,
	abi.TriggerPlanSelection: `{
  "request": {
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0",
    "ip": "192.168.0.1"
  },
  "context": {
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "billing": {
      "currentPlanCode": "professional",
      "requestedPlanCode": "free"
    },
    "user": {
      "id": "kp_1234566"
    },
    "organization": {
      "code": "org_123456"
    },
    "workflow": {
      "trigger": "user:plan_selection"
    }
  }
}
`,
	abi.TriggerPlanCancellationRequest: `{
  "request": {
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0",
    "ip": "192.168.0.1"
  },
  "context": {
    "domains": {
      "kindeDomain": "https://example.kinde.com"
    },
    "billing": {
      "currentPlanCode": "pro",
      "agreementId": "agreement_01971a7c5c7bf2d05888a8d6c77d08ce"
    },
    "workflow": {
      "trigger": "user:plan_cancellation_request"
    }
  }
}
`,
}
