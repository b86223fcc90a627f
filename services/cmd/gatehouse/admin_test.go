package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

// TestAdminCreateClientBootstrapsTheManagementAPI creates the first
// management client with the command, straight in the database, and uses
// it: a token for the API's audience, then a request.
func TestAdminCreateClientBootstrapsTheManagementAPI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cfg := platform.DefaultConfig()
	cfg.DatabaseURL, cfg.NATSPort, cfg.HTTPAddr, cfg.IssuerURL, cfg.DataDir = pgtest.NewDatabase(t), -1, addr, "http://"+addr, t.TempDir()
	p, err := platform.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = p.Stop(ctx)
	})

	var out, errOut bytes.Buffer
	if code := adminCmd([]string{"create-client", "-name", "Ops", "-scopes", "read:applications, read:users",
		"-database-url", cfg.DatabaseURL, "-issuer-url", cfg.IssuerURL}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	id := regexp.MustCompile(`(?m)^client id: +(\S+)$`).FindStringSubmatch(out.String())
	secret := regexp.MustCompile(`(?m)^client secret: +(\S+)$`).FindStringSubmatch(out.String())
	if id == nil || secret == nil || !strings.Contains(out.String(), "audience:      "+cfg.IssuerURL+"/api\n") {
		t.Fatalf("output:\n%s", out.String())
	}

	form := url.Values{"grant_type": {"client_credentials"}, "audience": {cfg.IssuerURL + "/api"}}
	req, _ := http.NewRequest(http.MethodPost, cfg.IssuerURL+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id[1], secret[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.Scope != "read:applications read:users" {
		t.Fatalf("token: %d %+v %v", resp.StatusCode, tok, err)
	}
	for path, want := range map[string]int{"/api/v1/applications": 200, "/api/v1/workflows": 403} {
		req, _ := http.NewRequest(http.MethodGet, cfg.IssuerURL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}

	// Mistakes are refused before anything is written.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create-client"}, "-name is required"},
		{[]string{"create-client", "-name", "x", "-scopes", "admin"}, `unknown scope "admin"`},
		{[]string{"create-client", "-name", "x", "-env", "Prod!"}, "-env"},
		{[]string{"rotate"}, "Usage: gatehouse admin create-client"},
	} {
		out.Reset()
		errOut.Reset()
		if code := adminCmd(append(tc.args, "-database-url", cfg.DatabaseURL), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errOut.String())
		}
	}
	errOut.Reset()
	if code := adminCmd([]string{"create-client", "-name", "x", "-env", "nope", "-database-url", cfg.DatabaseURL}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), `environment "nope" does not exist`) {
		t.Errorf("unknown environment: exit %d, stderr %q", code, errOut.String())
	}
}
