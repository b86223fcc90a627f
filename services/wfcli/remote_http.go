package wfcli

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

	"github.com/gatehouse-id/gatehouse/pkg/envname"
)

// parseBaseURL checks the --url of Gatehouse: https, or http to a loopback
// address only (a client secret and tokens cross it).
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q is not the base URL of Gatehouse, such as https://id.example.com", raw)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("%q is plain http: use https (http is allowed for localhost only, since credentials cross it)", raw)
	}
	return u, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openHTTP gets an access token for env's management API (unless one is
// given) and returns the API client. The issuer and token endpoint come
// from the environment's discovery document; the API's audience is the
// issuer followed by /api.
func openHTTP(ctx context.Context, rawURL, env string, cred credentials) (*httpGatehouse, error) {
	base, err := parseBaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	envBase := base.String()
	if env != envname.Default {
		envBase += "/e/" + env
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	g := &httpGatehouse{client: client, api: envBase + "/api/v1", token: cred.token}
	if g.token != "" {
		return g, nil
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var disco struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := getDiscovery(ctx, client, envBase, &disco); err != nil {
		return nil, err
	}
	if g.token, err = clientCredentials(ctx, client, disco.TokenEndpoint, disco.Issuer+"/api", cred); err != nil {
		return nil, err
	}
	return g, nil
}

func getDiscovery(ctx context.Context, client *http.Client, envBase string, out any) error {
	u := envBase + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach Gatehouse at %s: %w", envBase, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s has no OpenID configuration: is the URL right, and does the environment exist?", envBase)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery at %s answers %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("discovery at %s: %w", u, err)
	}
	return nil
}

// clientCredentials obtains an access token for audience with the client
// credentials grant (client_secret_basic). The secret goes nowhere else.
func clientCredentials(ctx context.Context, client *http.Client, tokenURL, audience string, cred credentials) (string, error) {
	if tokenURL == "" {
		return "", errors.New("the discovery document names no token endpoint")
	}
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {audience}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(cred.clientID), url.QueryEscape(cred.clientSecret))
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("get a management API token from %s: %w", tokenURL, err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("get a management API token from %s (%s): %w", tokenURL, resp.Status, errTokenAnswer)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		msg := fmt.Sprintf("get a management API token from %s: %s", tokenURL, body.Error)
		if body.Description != "" {
			msg += ": " + body.Description
		}
		if body.Error == "invalid_client" {
			msg += " (check the client id and secret, and that the client belongs to this environment)"
		}
		if body.Error == "invalid_target" {
			msg += " (the client is not allowed the audience " + audience + ")"
		}
		return "", errors.New(msg)
	}
	return body.AccessToken, nil
}
