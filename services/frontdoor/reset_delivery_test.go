package frontdoor_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/frontdoor"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// gatedMailer holds every email until release is closed, as a slow mail
// server would, then hands it to sent.
type gatedMailer struct {
	release chan struct{}
	sent    chan delivery.Email
}

func (g *gatedMailer) Send(ctx context.Context, _ string, m delivery.Email) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.sent <- m
	return nil
}

// TestResetAnswerDoesNotWaitForDelivery: the answer to a reset request
// comes before the link is sent, so that its time does not tell whether the
// account exists (OWASP ASVS 5.0 §6.3.8). The link is sent all the same.
func TestResetAnswerDoesNotWaitForDelivery(t *testing.T) {
	ctx := testContext(t)
	pool := pgtest.NewPool(t)
	if err := identity.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	nc := natstest.Connect(t, natstest.Start(t))
	mailer := &gatedMailer{release: make(chan struct{}), sent: make(chan delivery.Email, 4)}
	routes := chi.NewRouter()
	srv := httptest.NewServer(routes)
	t.Cleanup(srv.Close)
	fd, err := frontdoor.Start(ctx, nc, pool, frontdoor.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer: func(string) string { return srv.URL }, Mailer: mailer, PruneInterval: -1,
		Identity: identity.Config{Argon2: cheapArgon2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fd.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	fd.Routes(routes)
	ids := fd.Identity()
	user, err := ids.CreateUser(ctx, identity.NewUser{Env: envname.Default, Email: "slowmail@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := ids.CreateApplication(ctx, identity.NewApplication{Env: envname.Default, Name: "Example Web",
		Type: identity.AppRegular, RedirectURIs: []string{redirectURI}})
	if err != nil {
		t.Fatal(err)
	}
	authParams := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirectURI},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"}}

	request := func(email string) page {
		t.Helper()
		b := newBrowser(t)
		action, csrf := b.get(srv.URL + "/reset-password?" + authParams.Encode()).form(t)
		answered := make(chan page, 1)
		go func() { answered <- b.post(action, url.Values{"csrf_token": {csrf}, "email": {email}}) }()
		select {
		case p := <-answered:
			return p
		case <-time.After(5 * time.Second):
			close(mailer.release)
			t.Fatal("the answer to the reset request waited for the email to be sent")
			return page{}
		}
	}
	unknown, known := request("nobody@example.com"), request(user.Email)
	for _, p := range []page{unknown, known} {
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "we sent it a link") {
			t.Fatalf("answer %d:\n%s", p.Status, p.Body)
		}
	}
	if strings.Replace(unknown.Body, "nobody@example.com", user.Email, 1) != known.Body {
		t.Fatalf("the answers differ:\n%s\n---\n%s", unknown.Body, known.Body)
	}

	close(mailer.release)
	select {
	case m := <-mailer.sent:
		if m.To != user.Email || !strings.Contains(m.Text, srv.URL+"/reset-password/new?token=") {
			t.Fatalf("email %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reset link was never sent")
	}
	select {
	case m := <-mailer.sent:
		t.Fatalf("a second email was sent, to %s", m.To)
	case <-time.After(200 * time.Millisecond):
	}
}
