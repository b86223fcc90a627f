package frontdoor

import (
	"net"
	"net/http"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// The trigger events, shaped as the Kinde documentation's sample event
// objects (and the Go SDK's event types, which decode them).

type eventDomains struct {
	KindeDomain string `json:"kindeDomain"`
}

type eventWorkflow struct {
	Trigger abi.Trigger `json:"trigger"`
}

type eventApplication struct {
	ClientID string `json:"clientId"`
}

type eventUser struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
}

type eventRequest struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// eventRequestOf is request.ip and request.userAgent of r.
func eventRequestOf(r *http.Request) eventRequest {
	return eventRequest{IP: clientIP(r), UserAgent: userAgent(r)}
}

type eventOrganization struct {
	Code string `json:"code,omitempty"`
}

type eventAuthURLParams struct {
	State       string `json:"state,omitempty"`
	OrgCode     string `json:"orgCode,omitempty"`
	ClientID    string `json:"clientId,omitempty"`
	RedirectURI string `json:"redirectUri,omitempty"`
}

type eventTokenAuth struct {
	Audience []string `json:"audience"`
	Scope    []string `json:"scope"`
}

// existingPasswordEvent is user:existing_password_provided. The worker
// redacts the password from everything the workflow produces.
type existingPasswordEvent struct {
	Request struct {
		IP        string `json:"ip,omitempty"`
		UserAgent string `json:"userAgent,omitempty"`
	} `json:"request"`
	Context struct {
		Domains eventDomains `json:"domains"`
		Auth    struct {
			ProvidedEmail        string `json:"providedEmail"`
			Password             string `json:"password"`
			HasUserRecordInKinde bool   `json:"hasUserRecordInKinde"`
		} `json:"auth"`
		Workflow eventWorkflow `json:"workflow"`
	} `json:"context"`
}

// Reasons of user:new_password_provided.
const (
	newPasswordInitial = "initial"
	newPasswordReset   = "reset"
)

// newPasswordEvent is user:new_password_provided: a password chosen at
// sign-up or reset. User.ID is set for a reset only. The worker redacts
// both passwords from everything the workflow produces.
type newPasswordEvent struct {
	Request eventRequest `json:"request"`
	Context struct {
		Domains eventDomains `json:"domains"`
		Auth    struct {
			FirstPassword     string `json:"firstPassword"`
			SecondPassword    string `json:"secondPassword"`
			NewPasswordReason string `json:"newPasswordReason"`
		} `json:"auth"`
		User     eventUser     `json:"user"`
		Workflow eventWorkflow `json:"workflow"`
	} `json:"context"`
}

// preRegistrationEvent is user:pre_registration: the user is about to be
// created. Beyond Kinde's sample, the email is sent as
// context.auth.providedEmail and context.user.email.
type preRegistrationEvent struct {
	Request struct {
		eventRequest
		AuthURLParams eventAuthURLParams `json:"authUrlParams"`
	} `json:"request"`
	Context struct {
		Auth struct {
			ConnectionID  string `json:"connectionId,omitempty"`
			ProvidedEmail string `json:"providedEmail"`
		} `json:"auth"`
		User        eventUser        `json:"user"`
		Domains     eventDomains     `json:"domains"`
		Workflow    eventWorkflow    `json:"workflow"`
		Application eventApplication `json:"application"`
	} `json:"context"`
}

// eventMFA is context.mfa of user:pre_mfa.
type eventMFA struct {
	Policy                 string   `json:"policy"`
	Context                string   `json:"context"`
	EnabledFactors         []string `json:"enabledFactors"`
	IsUserRoleExempt       bool     `json:"isUserRoleExempt"`
	IsUserConnectionExempt bool     `json:"isUserConnectionExempt"`
	// LastMFAAt (RFC 3339), beyond Kinde's sample: the user's last
	// completed MFA, for grace-period workflows.
	LastMFAAt string `json:"lastMfaAt,omitempty"`
}

// preMFAEvent is user:pre_mfa: single-factor authentication is done and
// the organization is known.
type preMFAEvent struct {
	Request struct {
		eventRequest
		AuthURLParams eventAuthURLParams `json:"authUrlParams"`
	} `json:"request"`
	Context struct {
		Auth struct {
			ConnectionID string `json:"connectionId,omitempty"`
		} `json:"auth"`
		Domains      eventDomains      `json:"domains"`
		MFA          eventMFA          `json:"mfa"`
		User         eventUser         `json:"user"`
		Workflow     eventWorkflow     `json:"workflow"`
		Application  eventApplication  `json:"application"`
		Organization eventOrganization `json:"organization"`
	} `json:"context"`
}

// postAuthenticationEvent is user:post_authentication.
type postAuthenticationEvent struct {
	Request struct {
		IP            string             `json:"ip,omitempty"`
		UserAgent     string             `json:"userAgent,omitempty"`
		AuthURLParams eventAuthURLParams `json:"authUrlParams"`
	} `json:"request"`
	Context struct {
		Auth struct {
			ConnectionID           string `json:"connectionId,omitempty"`
			IsNewUserRecordCreated bool   `json:"isNewUserRecordCreated"`
		} `json:"auth"`
		User        eventUser        `json:"user"`
		Domains     eventDomains     `json:"domains"`
		Workflow    eventWorkflow    `json:"workflow"`
		Application eventApplication `json:"application"`
	} `json:"context"`
}

// Origins of user:tokens_generation.
const (
	originAuthorization = "authorization_request"
	originRefresh       = "refresh_token_request"
)

// tokensGenerationEvent is user:tokens_generation.
type tokensGenerationEvent struct {
	Request struct {
		Auth      eventTokenAuth `json:"auth"`
		IP        string         `json:"ip,omitempty"`
		UserAgent string         `json:"userAgent,omitempty"`
	} `json:"request"`
	Context struct {
		Domains eventDomains `json:"domains"`
		Auth    struct {
			Origin            string `json:"origin"`
			IsExistingSession bool   `json:"isExistingSession"`
			ConnectionID      string `json:"connectionId,omitempty"`
		} `json:"auth"`
		Application  eventApplication  `json:"application"`
		User         eventUser         `json:"user"`
		Organization eventOrganization `json:"organization"`
		Workflow     eventWorkflow     `json:"workflow"`
	} `json:"context"`
}

// m2mTokenEvent is m2m:token_generation.
type m2mTokenEvent struct {
	Request struct {
		Auth      eventTokenAuth `json:"auth"`
		IP        string         `json:"ip,omitempty"`
		UserAgent string         `json:"userAgent,omitempty"`
	} `json:"request"`
	Context struct {
		Domains     eventDomains     `json:"domains"`
		Application eventApplication `json:"application"`
		Workflow    eventWorkflow    `json:"workflow"`
	} `json:"context"`
}

// clientIP is the address the request came from. Addresses set by proxies
// (X-Forwarded-For) are not trusted: the listener sees the peer.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// userAgent is the request's User-Agent, cut to a sane length.
func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return ua
}
