package delivery

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message an smtpServer accepted.
type received struct {
	from string
	to   []string
	data string
	user string
}

// smtpServer is a real SMTP server on loopback (go-smtp) keeping what it
// receives.
type smtpServer struct {
	mu   sync.Mutex
	msgs []received
	port int
}

func startSMTP(t *testing.T, user, password string) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, user: user, password: password}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *smtpServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type smtpSession struct {
	srv            *smtpServer
	user, password string
	authed         string
	cur            received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.user || password != s.password {
			return errors.New("invalid credentials")
		}
		s.authed = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user != "" && s.authed == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from, user: s.authed}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{} }
func (s *smtpSession) Logout() error { return nil }

func TestSMTPMailerSendsThroughARealServer(t *testing.T) {
	srv := startSMTP(t, "relay", "relay-password")
	m, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: srv.port, TLS: SMTPTLSNone,
		Username: "relay", Password: "relay-password", From: "no-reply@gatehouse.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Send(ctx, "production", Email{To: "ada@example.com", Subject: "Your code", Text: "Your code is 424242."}); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages", len(got))
	}
	r := got[0]
	if r.from != "no-reply@gatehouse.example.test" || len(r.to) != 1 || r.to[0] != "ada@example.com" || r.user != "relay" {
		t.Fatalf("envelope %+v", r)
	}
	for _, want := range []string{"Subject: Your code", "To: <ada@example.com>", "Your code is 424242."} {
		if !strings.Contains(r.data, want) {
			t.Errorf("message lacks %q:\n%s", want, r.data)
		}
	}

	// A refused header injection never reaches the server.
	if err := m.Send(ctx, "production", Email{To: "ada@example.com", Subject: "a\r\nBcc: eve@example.com"}); err == nil {
		t.Error("a subject with a line break was sent")
	}
	// Wrong credentials fail with an error naming the server.
	bad, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: srv.port, TLS: SMTPTLSNone,
		Username: "relay", Password: "wrong", From: "no-reply@gatehouse.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Send(ctx, "production", Email{To: "ada@example.com", Subject: "s", Text: "t"}); err == nil ||
		!strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("wrong password: %v", err)
	}
	if n := len(srv.received()); n != 1 {
		t.Fatalf("server holds %d messages after refused sends", n)
	}
}

func TestSMTPMailerMandatoryTLSRefusesAPlainServer(t *testing.T) {
	srv := startSMTP(t, "", "")
	m, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: srv.port, From: "no-reply@gatehouse.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Send(ctx, "production", Email{To: "ada@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("sent in plain text although TLS is mandatory")
	}
	if n := len(srv.received()); n != 0 {
		t.Fatalf("server received %d messages", n)
	}
}

func TestNewSMTPMailerChecksItsConfig(t *testing.T) {
	for _, c := range []SMTPConfig{
		{From: "a@example.com"},
		{Host: "smtp.example.com", From: "not an address"},
		{Host: "smtp.example.com", From: "a@example.com", TLS: "sometimes"},
		{Host: "smtp.example.com", From: "a@example.com", Port: 70000},
		{Host: "smtp.example.com", From: "a@example.com", Password: "p"},
	} {
		if _, err := NewSMTPMailer(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
