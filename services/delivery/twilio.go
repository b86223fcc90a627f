package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTwilioURL is Twilio's API base URL.
const DefaultTwilioURL = "https://api.twilio.com"

// TwilioConfig configures a [TwilioSender].
type TwilioConfig struct {
	// BaseURL is the provider's API base URL; default DefaultTwilioURL.
	// Providers with Twilio's Messages API answer under it too.
	BaseURL string
	// AccountSID and AuthToken authenticate (HTTP basic auth); the token
	// is a secret and comes from the environment, never a flag.
	AccountSID string
	AuthToken  string
	// From is the sending number (E.164) or messaging service sid.
	From string
	// Client is the HTTP client; default one with a 15s timeout. Redirects
	// are never followed (a copy of Client is used).
	Client *http.Client
}

// TwilioSender sends SMS through Twilio's Messages API (POST
// /2010-04-01/Accounts/{sid}/Messages.json with To, From and Body).
type TwilioSender struct {
	endpoint string
	cfg      TwilioConfig
}

// NewTwilioSender checks cfg and returns a sender.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultTwilioURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("delivery: SMS provider URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	// The auth token and the codes go in every request: plain HTTP only
	// to this machine (a local relay, tests).
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("delivery: SMS provider URL %q must use https (http is allowed only to a loopback address)", cfg.BaseURL)
	}
	var errs []error
	if cfg.AccountSID == "" || strings.ContainsAny(cfg.AccountSID, "/?#") {
		errs = append(errs, errors.New("the account sid is required and must not contain / ? or #"))
	}
	if cfg.AuthToken == "" {
		errs = append(errs, errors.New("the auth token is required"))
	}
	if cfg.From == "" {
		errs = append(errs, errors.New("the sending number (From) is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("delivery: SMS provider: %w", err)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	// A redirect would re-send the message (a 307 or 308 with its body) to
	// wherever the answer points; the API never redirects, so one is a
	// failure.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Client = client
	endpoint := strings.TrimSuffix(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return &TwilioSender{endpoint: endpoint, cfg: cfg}, nil
}

// SendSMS posts m to the provider. A reply other than 2xx is an error
// naming the status and the provider's message (never the body sent).
func (s *TwilioSender) SendSMS(ctx context.Context, env string, m SMS) error {
	if err := m.Check(); err != nil {
		return err
	}
	form := url.Values{"To": {m.To}, "From": {s.cfg.From}, "Body": {m.Body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("delivery: SMS request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("delivery: SMS provider unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var perr struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	detail := ""
	if json.Unmarshal(body, &perr) == nil && perr.Message != "" {
		detail = fmt.Sprintf(": provider error %d: %.200s", perr.Code, perr.Message)
	}
	return fmt.Errorf("delivery: SMS provider answered %s%s", resp.Status, detail)
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
