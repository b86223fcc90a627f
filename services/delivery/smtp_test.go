package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/delivery/smtptest"
)

func TestSMTPMailerSendsThroughARealServer(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{User: "relay", Password: "relay-password"})
	m, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: SMTPTLSNone,
		Username: "relay", Password: "relay-password", From: "no-reply@gatehouse.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Send(ctx, "production", Email{To: "ada@example.com", Subject: "Your code", Text: "Your code is 424242."}); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages", len(got))
	}
	r := got[0]
	if r.From != "no-reply@gatehouse.example.test" || len(r.To) != 1 || r.To[0] != "ada@example.com" || r.User != "relay" {
		t.Fatalf("envelope %+v", r)
	}
	for _, want := range []string{"Subject: Your code", "To: <ada@example.com>", "Your code is 424242."} {
		if !strings.Contains(r.Data, want) {
			t.Errorf("message lacks %q:\n%s", want, r.Data)
		}
	}

	// A refused header injection never reaches the server.
	if err := m.Send(ctx, "production", Email{To: "ada@example.com", Subject: "a\r\nBcc: eve@example.com"}); err == nil {
		t.Error("a subject with a line break was sent")
	}
	// Wrong credentials fail with an error naming the server.
	bad, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: SMTPTLSNone,
		Username: "relay", Password: "wrong", From: "no-reply@gatehouse.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Send(ctx, "production", Email{To: "ada@example.com", Subject: "s", Text: "t"}); err == nil ||
		!strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("wrong password: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("server holds %d messages after refused sends", n)
	}
}

func TestSMTPMailerMandatoryTLSRefusesAPlainServer(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m, err := NewSMTPMailer(SMTPConfig{Host: "127.0.0.1", Port: srv.Port, From: "no-reply@gatehouse.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Send(ctx, "production", Email{To: "ada@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("sent in plain text although TLS is mandatory")
	}
	if n := len(srv.Messages()); n != 0 {
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
